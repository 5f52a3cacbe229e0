"""Surgery on the token-embedding matrices of safetensors checkpoints.

A typed layer over the ``embsurgery`` executable that this package installs: each function runs
one command with ``--json`` and returns its report as a dataclass. A failure raises ``Error``
with the command's one-line message and exit status.

    >>> report = embsurgery.resize("model", ["<|AtLocation|>", "<|IsA|>"], output="model-relations")
    >>> report.new_ids  # for PEFT's trainable_token_indices
    >>> trimmed = embsurgery.trim("model", "corpus.txt", output="model-trimmed")
    >>> trimmed.remap(old_ids)  # a dataset tokenized before the trim, in the new ids
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from importlib import metadata
from typing import Literal, TextIO, TypeVar

from ._command import Error, StrPath, executable, options, path_argument, run_json
from ._decode import DecodeError, decode
from ._reports import (
    AddedToken,
    AddedTokenFlags,
    AuditedMatrix,
    AuditReport,
    AuditThresholds,
    CheckpointFile,
    DiffReport,
    DiffToken,
    DifferingRow,
    FixUntrainedReport,
    FlagChange,
    FlaggedRow,
    FlagsChanged,
    IdRange,
    IdRanges,
    InspectReport,
    LowNormStatistics,
    Matrix,
    MatrixDiff,
    MovedToken,
    NormSummary,
    RenamedToken,
    ReservedMean,
    ResizeReport,
    RowFlags,
    SkippedToken,
    Tensor,
    TokenWithoutRow,
    TrimCorpus,
    TrimReport,
    VocabSizeChange,
    VocabularySizes,
)

R = TypeVar("R")
Initialization = Literal["mean", "nearest", "random", "zeros", "mvn"]
"""How `resize` initializes new rows (``--init``); `fix_untrained` takes all but ``nearest``."""

try:
    __version__ = metadata.version("embsurgery")
except metadata.PackageNotFoundError:  # imported from a source tree
    __version__ = "0+unknown"

__all__ = [
    "AddedToken", "AddedTokenFlags", "AuditedMatrix", "AuditReport", "AuditThresholds",
    "CheckpointFile", "DecodeError", "DiffReport", "DiffToken", "DifferingRow", "Error",
    "FixUntrainedReport", "FlagChange", "FlaggedRow", "FlagsChanged", "IdRange", "IdRanges",
    "Initialization", "InspectReport", "LowNormStatistics", "Matrix", "MatrixDiff", "MovedToken",
    "NormSummary", "RenamedToken", "ReservedMean", "ResizeReport", "RowFlags", "SkippedToken", "Tensor",
    "TokenWithoutRow", "TrimCorpus", "TrimReport", "VocabSizeChange", "VocabularySizes", "audit", "diff", "executable",
    "fix_untrained", "inspect", "resize", "trim",
]


def resize(
    model: StrPath,
    tokens: StrPath | Iterable[str],
    *,
    output: StrPath | None = None,
    in_place: bool = False,
    init: Initialization = "mean",
    special: bool = False,
    pad_to_multiple_of: int | None = None,
    seed: int = 0,
    noise_scale: float | None = None,
    reuse_reserved: bool = False,
    tokenizer: StrPath | None = None,
    embedding: str | None = None,
    head: str | None = None,
    revision: str | None = None,
    link_unchanged: bool = False,
    dry_run: bool = False,
    force: bool = False,
    progress: bool = False,
) -> ResizeReport:
    """Adds `tokens` to the checkpoint `model` (a ``.safetensors`` file, a model folder, or a
    Hugging Face repository id ``ORG/NAME`` in the local cache, at `revision`).

    `tokens` is a list of strings, or the path of a token file (one token per line, or a
    ``.json`` array). `init` is ``mean``, ``nearest``, ``random``, ``zeros`` or ``mvn``. Without
    `output` (or `in_place`) the result goes beside the input. The other arguments are the
    command's options of the same names (``embsurgery resize --help``).
    """
    with _token_file(tokens) as token_path:
        arguments = ["resize", path_argument(model), f"--tokens={token_path}"] + options(
            output=output, in_place=in_place, init=init, special=special, pad_to_multiple_of=pad_to_multiple_of,
            seed=seed, noise_scale=noise_scale, reuse_reserved=reuse_reserved, tokenizer=tokenizer,
            embedding=embedding, head=head, revision=revision,
        )
        return _written(
            ResizeReport, arguments, link_unchanged=link_unchanged, dry_run=dry_run, force=force, progress=progress
        )


def fix_untrained(
    model: StrPath,
    output: StrPath | None = None,
    *,
    in_place: bool = False,
    ids: Sequence[int] | None = None,
    init: Initialization = "mean",
    seed: int = 0,
    noise_scale: float | None = None,
    tokenizer: StrPath | None = None,
    embedding: str | None = None,
    head: str | None = None,
    revision: str | None = None,
    link_unchanged: bool = False,
    dry_run: bool = False,
    force: bool = False,
    progress: bool = False,
) -> FixUntrainedReport:
    """Re-initializes the untrained rows of the embedding and the head (or the rows `ids`) of
    `model`. Without `output` (or `in_place`) the result goes beside the input (``NAME-fixed``).
    `init` is ``mean``, ``random``, ``zeros`` or ``mvn``.

    ``report.fixed`` lists the rows as ``audit`` flags them (``where`` is ``None`` for a row of
    `ids` that is flagged nowhere)."""
    arguments = ["fix-untrained", path_argument(model)] + options(
        output=output, in_place=in_place, ids=list(ids) if ids is not None else None, init=init, seed=seed,
        noise_scale=noise_scale, tokenizer=tokenizer, embedding=embedding, head=head, revision=revision,
    )
    return _written(
        FixUntrainedReport, arguments, link_unchanged=link_unchanged, dry_run=dry_run, force=force, progress=progress
    )


def trim(
    model: StrPath,
    corpus: StrPath | Sequence[StrPath] = (),
    *,
    texts: Iterable[str] | None = None,
    keep: StrPath | Iterable[str] | None = None,
    min_count: int = 1,
    output: StrPath | None = None,
    in_place: bool = False,
    tokenizer: StrPath | None = None,
    embedding: str | None = None,
    head: str | None = None,
    revision: str | None = None,
    link_unchanged: bool = False,
    dry_run: bool = False,
    force: bool = False,
    progress: bool = False,
) -> TrimReport:
    """Shrinks the vocabulary of `model` (a model folder, or a repository id in the local cache)
    to the tokens a corpus uses; the other tokens' rows are removed and the rest renumbered.

    The corpus is the files `corpus` (one path or a list of paths; each non-empty line is a text,
    or a ``.jsonl`` file of ``{"text": ...}`` objects) and the strings `texts` (any iterable,
    written to a temporary ``.jsonl`` file); an empty corpus keeps only what the tokenizer needs.
    `keep` names tokens kept whatever the corpus says: a list of strings or the path of a token
    file. ``report.id_map`` holds ``(old, new)`` pairs; ``report.remap(ids)`` renumbers a text
    tokenized before the trim. The other arguments are the command's options of the same names
    (``embsurgery trim --help``).
    """
    files = [corpus] if isinstance(corpus, (str, os.PathLike)) else list(corpus)
    if not all(isinstance(file, (str, os.PathLike)) for file in files):
        raise TypeError("corpus must be a path or a list of paths (give texts as texts=)")
    with contextlib.ExitStack() as stack:
        if texts is not None:
            files.append(stack.enter_context(_text_file(texts)))
        keep_path = stack.enter_context(_token_file(keep)) if keep is not None else None
        arguments = ["trim", path_argument(model)] + [f"--corpus={os.fspath(file)}" for file in files] + options(
            keep=keep_path, min_count=min_count, output=output, in_place=in_place, tokenizer=tokenizer,
            embedding=embedding, head=head, revision=revision,
        )
        return _written(
            TrimReport, arguments, link_unchanged=link_unchanged, dry_run=dry_run, force=force, progress=progress
        )


def inspect(model: StrPath, *, revision: str | None = None) -> InspectReport:
    """The tensors of `model`, its embedding and head, and how its vocabulary sizes agree."""
    return _report(InspectReport, ["inspect", path_argument(model)] + options(revision=revision))


def audit(
    model: StrPath,
    *,
    tokenizer: StrPath | None = None,
    embedding: str | None = None,
    head: str | None = None,
    revision: str | None = None,
) -> AuditReport:
    """The rows of the embedding and the head that look untrained or broken.

    Finding something is not an error: see ``report.findings`` (the command's exit status 3).
    """
    arguments = ["audit", path_argument(model)] + options(
        tokenizer=tokenizer, embedding=embedding, head=head, revision=revision
    )
    return _report(AuditReport, arguments, findings_exit=True)


def diff(a: StrPath, b: StrPath) -> DiffReport:
    """What differs between two tokenizer.json files, ``.safetensors`` files or model folders.

    A difference is not an error: see ``report.identical`` (the command's exit status 3).
    """
    return _report(DiffReport, ["diff", path_argument(a), path_argument(b)], findings_exit=True)


def _report(report: type[R], arguments: list[str], *, findings_exit: bool = False, progress: bool = False) -> R:
    """Runs ``embsurgery ARGUMENTS --json`` and decodes what it prints as `report`. Each command
    is a function of a few lines over this one."""
    return decode(report, run_json([*arguments, "--json"], findings_exit=findings_exit, progress=progress))


def _written(
    report: type[R], arguments: list[str], *, link_unchanged: bool, dry_run: bool, force: bool, progress: bool
) -> R:
    """``_report`` for the commands that write a checkpoint, with their shared options."""
    arguments = arguments + options(link_unchanged=link_unchanged, dry_run=dry_run, force=force, quiet=not progress)
    return _report(report, arguments, progress=progress)


@contextlib.contextmanager
def _token_file(tokens: StrPath | Iterable[str]) -> Iterator[str]:
    """The path of a token file: `tokens` itself when it is a path, else a temporary ``.json``."""
    if isinstance(tokens, (str, os.PathLike)):
        yield os.fspath(tokens)
        return
    listed = list(tokens)
    if not all(isinstance(token, str) for token in listed):
        raise TypeError("tokens must be strings")
    with _temporary_file("tokens.json", lambda file: json.dump(listed, file, ensure_ascii=False)) as path:
        yield path


@contextlib.contextmanager
def _text_file(texts: Iterable[str]) -> Iterator[str]:
    """The path of a temporary ``.jsonl`` corpus holding `texts`, one ``{"text": ...}`` a line
    (written as the iterable yields them: a large corpus is never all in memory)."""
    if isinstance(texts, (str, bytes)):
        raise TypeError("texts must be an iterable of strings, not one string")

    def write(file: TextIO) -> None:
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"texts must be strings, not {type(text).__name__}")
            file.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")

    with _temporary_file("texts.jsonl", write) as path:
        yield path


@contextlib.contextmanager
def _temporary_file(name: str, write: Callable[[TextIO], object]) -> Iterator[str]:
    """The path of a new UTF-8 file `name` in a temporary folder, written by `write`; both go
    away afterwards."""
    with tempfile.TemporaryDirectory(prefix="embsurgery-") as folder:
        path = os.path.join(folder, name)
        with open(path, "w", encoding="utf-8") as file:
            write(file)
        yield path
