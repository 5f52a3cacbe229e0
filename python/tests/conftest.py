"""Fixtures shared by the tests of the Python API."""

from __future__ import annotations

from typing import Any

import pytest

import embsurgery


@pytest.fixture
def documents(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The JSON documents the command printed, in order."""
    printed: list[Any] = []
    real = embsurgery.run_json

    def spy(*arguments: Any, **keywords: Any) -> Any:
        document = real(*arguments, **keywords)
        printed.append(document)
        return document

    monkeypatch.setattr(embsurgery, "run_json", spy)
    return printed
