"""What some reports offer beyond their data: mixed into the generated dataclasses of
``_reports.py`` (see scripts/generate-python-reports)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import Protocol


class _Identified(Protocol):
    @property
    def id(self) -> int: ...


class ResizeMethods:
    added: Sequence[_Identified]

    @property
    def new_ids(self) -> list[int]:
        """The ids of the added tokens, for PEFT's ``trainable_token_indices``."""
        return [token.id for token in self.added]


class FixUntrainedMethods:
    fixed: Sequence[_Identified]

    @property
    def ids(self) -> list[int]:
        """The ids of the re-initialized rows."""
        return [row.id for row in self.fixed]


class TrimMethods:
    id_map: Sequence[tuple[int, int]]

    @cached_property
    def _new_ids(self) -> dict[int, int]:
        return dict(self.id_map)

    def new_id(self, old: int) -> int | None:
        """The new id of the token that had id `old`, or ``None`` when it was removed."""
        return self._new_ids.get(old)

    def remap(self, ids: Iterable[int]) -> list[int]:
        """Old ids (a text tokenized before the trim) as new ids; a removed token raises
        ``KeyError`` with its old id."""
        new_ids = self._new_ids
        return [new_ids[old] for old in ids]
