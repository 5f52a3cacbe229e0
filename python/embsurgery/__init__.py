"""Surgery on the token-embedding matrices of safetensors checkpoints.

A typed layer over the ``embsurgery`` executable that this package installs: each function runs
one command with ``--json`` and returns its report as a dataclass. A failure raises ``Error``
with the command's one-line message and exit status.

    >>> report = embsurgery.resize("model", ["<|AtLocation|>", "<|IsA|>"], output="model-relations")
    >>> report.new_ids  # for PEFT's trainable_token_indices
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from importlib import metadata
from typing import Literal, TypeVar

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
    FixedRow,
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
    MatrixShape,
    MovedToken,
    NormSummary,
    RenamedToken,
    ReservedMean,
    ResizeReport,
    RowFlags,
    SkippedToken,
    Tensor,
    TokenWithoutRow,
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
    "CheckpointFile", "DecodeError", "DiffReport", "DiffToken", "DifferingRow", "Error", "FixedRow",
    "FixUntrainedReport", "FlagChange", "FlaggedRow", "FlagsChanged", "IdRange", "IdRanges",
    "Initialization", "InspectReport", "LowNormStatistics", "Matrix", "MatrixDiff", "MatrixShape",
    "MovedToken", "NormSummary", "RenamedToken", "ReservedMean", "ResizeReport", "RowFlags",
    "SkippedToken", "Tensor", "TokenWithoutRow", "VocabSizeChange", "VocabularySizes", "audit", "diff",
    "executable", "fix_untrained", "inspect", "resize",
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
    dry_run: bool = False,
    force: bool = False,
    progress: bool = False,
) -> ResizeReport:
    """Adds `tokens` to the checkpoint `model` (a ``.safetensors`` file or a model folder).

    `tokens` is a list of strings, or the path of a token file (one token per line, or a
    ``.json`` array). `init` is ``mean``, ``nearest``, ``random``, ``zeros`` or ``mvn``. Without
    `output` (or `in_place`) the result goes beside the input. The other arguments are the
    command's options of the same names (``embsurgery resize --help``).
    """
    with _token_file(tokens) as token_path:
        arguments = ["resize", path_argument(model), f"--tokens={token_path}"] + options(
            output=output, in_place=in_place, init=init, special=special, pad_to_multiple_of=pad_to_multiple_of,
            seed=seed, noise_scale=noise_scale, reuse_reserved=reuse_reserved, tokenizer=tokenizer,
            embedding=embedding, head=head,
        )
        return _written(ResizeReport, arguments, dry_run=dry_run, force=force, progress=progress)


def fix_untrained(
    model: StrPath,
    output: StrPath,
    *,
    ids: Sequence[int] | None = None,
    init: Initialization = "mean",
    seed: int = 0,
    noise_scale: float | None = None,
    tokenizer: StrPath | None = None,
    embedding: str | None = None,
    head: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    progress: bool = False,
) -> FixUntrainedReport:
    """Re-initializes the untrained rows of the embedding and the head (or the rows `ids`) of
    `model`, writing the result to `output`. `init` is ``mean``, ``random``, ``zeros`` or ``mvn``."""
    arguments = ["fix-untrained", path_argument(model)] + options(
        output=output, ids=list(ids) if ids is not None else None, init=init, seed=seed, noise_scale=noise_scale,
        tokenizer=tokenizer, embedding=embedding, head=head,
    )
    return _written(FixUntrainedReport, arguments, dry_run=dry_run, force=force, progress=progress)


def inspect(model: StrPath) -> InspectReport:
    """The tensors of `model`, its embedding and head, and how its vocabulary sizes agree."""
    return _report(InspectReport, ["inspect", path_argument(model)])


def audit(
    model: StrPath, *, tokenizer: StrPath | None = None, embedding: str | None = None, head: str | None = None
) -> AuditReport:
    """The rows of the embedding and the head that look untrained or broken.

    Finding something is not an error: see ``report.findings`` (the command's exit status 3).
    """
    arguments = ["audit", path_argument(model)] + options(tokenizer=tokenizer, embedding=embedding, head=head)
    return _report(AuditReport, arguments, findings_exit=True)


def diff(a: StrPath, b: StrPath) -> DiffReport:
    """What differs between two tokenizer.json files, ``.safetensors`` files or model folders.

    A difference is not an error: see ``report.identical`` (the command's exit status 3).
    """
    return _report(DiffReport, ["diff", path_argument(a), path_argument(b)], findings_exit=True)


def _report(report: type[R], arguments: list[str], *, findings_exit: bool = False, progress: bool = False) -> R:
    """Runs ``embsurgery ARGUMENTS --json`` and decodes what it prints as `report`. Each command
    is a function of a few lines over this one (a new command, such as ``trim``, is one more)."""
    return decode(report, run_json([*arguments, "--json"], findings_exit=findings_exit, progress=progress))


def _written(report: type[R], arguments: list[str], *, dry_run: bool, force: bool, progress: bool) -> R:
    """``_report`` for the commands that write a checkpoint, with their shared options."""
    arguments = arguments + options(dry_run=dry_run, force=force, quiet=not progress)
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
    with tempfile.TemporaryDirectory(prefix="embsurgery-") as folder:
        path = os.path.join(folder, "tokens.json")
        with open(path, "w", encoding="utf-8") as file:
            json.dump(listed, file, ensure_ascii=False)
        yield path
