"""Surgery on the token-embedding matrices of safetensors checkpoints.

A typed layer over the ``embsurgery`` executable that this package installs: each function runs
one command with ``--json`` and returns its report as a dataclass. A failure raises ``Error``
with the command's one-line message and exit status.

    >>> report = embsurgery.resize("model", ["<|AtLocation|>", "<|IsA|>"], output="model-relations")
    >>> report.new_ids  # for PEFT's trainable_token_indices
    >>> trimmed = embsurgery.trim("model", "corpus.txt", output="model-trimmed")
    >>> trimmed.remap(old_ids)  # a dataset tokenized before the trim, in the new ids
    >>> extended = embsurgery.extend("model", "corpus.txt", add=2000, output="model-extended")
    >>> transplanted = embsurgery.transplant("model", "donor", output="model-transplanted")
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from importlib import metadata
from typing import Literal, TypeVar

from ._command import Error, Progress, StrPath, executable, options, path_argument, progress_handler, run_json
from ._decode import DecodeError, decode
from ._reports import (
    SCHEMA_VERSION,
    AddedToken,
    AddedTokenFlags,
    AuditedMatrix,
    AuditReport,
    AuditThresholds,
    CheckpointFile,
    DiffReport,
    DiffToken,
    DifferingRow,
    ErrorDetail,
    ErrorReport,
    ExtendCorpus,
    ExtendMerge,
    ExtendReport,
    ExtendSkipped,
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
    TransplantApproximation,
    TransplantMatched,
    TransplantReport,
    TransplantSpecialToken,
    TrimCorpus,
    TrimReport,
    VocabSizeChange,
    VocabularySizes,
)

R = TypeVar("R")
Initialization = Literal["mean", "nearest", "random", "zeros", "mvn"]
"""How `resize` and `extend` initialize new rows (``--init``); `fix_untrained` takes all but ``nearest``."""
TransplantInitialization = Literal["omp", "nearest", "mean"]
"""How `transplant` makes the rows of donor tokens that match no base token (``--init``)."""

try:
    __version__ = metadata.version("embsurgery")
except metadata.PackageNotFoundError:  # imported from a source tree
    __version__ = "0+unknown"

__all__ = [
    "AddedToken", "AddedTokenFlags", "AuditedMatrix", "AuditReport", "AuditThresholds",
    "CheckpointFile", "DecodeError", "DiffReport", "DiffToken", "DifferingRow", "Error", "ErrorDetail", "ErrorReport",
    "ExtendCorpus", "ExtendMerge", "ExtendReport", "ExtendSkipped",
    "FixUntrainedReport", "FlagChange", "FlaggedRow", "FlagsChanged", "IdRange", "IdRanges",
    "Initialization", "InspectReport", "LowNormStatistics", "Matrix", "MatrixDiff", "MovedToken",
    "NormSummary", "Progress", "RenamedToken", "ReservedMean", "ResizeReport", "RowFlags", "SkippedToken", "Tensor",
    "SCHEMA_VERSION", "TokenWithoutRow", "TransplantApproximation", "TransplantInitialization", "TransplantMatched",
    "TransplantReport", "TransplantSpecialToken", "TrimCorpus", "TrimReport", "VocabSizeChange", "VocabularySizes",
    "audit", "diff", "executable", "extend",
    "fix_untrained", "inspect", "resize", "transplant", "trim",
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
    progress: bool | Progress = False,
) -> ResizeReport:
    """Adds `tokens` to the checkpoint `model` (a ``.safetensors`` file, a model folder, or a
    Hugging Face repository id ``ORG/NAME`` in the local cache, at `revision`).

    `tokens` is a list of strings, or the path of a token file (one token per line, or a
    ``.json`` array). `init` is ``mean``, ``nearest``, ``random``, ``zeros`` or ``mvn``. Without
    `output` (or `in_place`) the result goes beside the input. `progress` is `True` for a bar on
    standard error (tqdm's when installed) or a callable given (done, total, unit) at each step.
    The other arguments are the command's options of the same names (``embsurgery resize --help``).
    """
    stdin: list[bytes] | None = None
    if isinstance(tokens, (str, os.PathLike)):
        source = ["--tokens=" + path_argument(tokens)]
    else:
        listed = list(tokens)
        if not all(isinstance(token, str) for token in listed):
            raise TypeError("tokens must be strings")
        source = ["--tokens=-", "--tokens-format=json"]
        stdin = [json.dumps(listed, ensure_ascii=False).encode("utf-8")]
    arguments = ["resize", path_argument(model), *source] + options(
        output=output, in_place=in_place, init=init, special=special, pad_to_multiple_of=pad_to_multiple_of,
        seed=seed, noise_scale=noise_scale, reuse_reserved=reuse_reserved, tokenizer=tokenizer,
        embedding=embedding, head=head, revision=revision,
    )
    return _written(
        ResizeReport, arguments, link_unchanged=link_unchanged, dry_run=dry_run, force=force, progress=progress,
        stdin=stdin,
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
    progress: bool | Progress = False,
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
    progress: bool | Progress = False,
) -> TrimReport:
    """Shrinks the vocabulary of `model` (a model folder, or a repository id in the local cache)
    to the tokens a corpus uses; the other tokens' rows are removed and the rest renumbered.

    The corpus is the files `corpus` (one path or a list of paths; each non-empty line is a text,
    or a ``.jsonl`` file of ``{"text": ...}`` objects) and the strings `texts` (any iterable,
    streamed to the command's standard input as it yields them); an empty corpus keeps only what
    the tokenizer needs.
    `keep` names tokens kept whatever the corpus says: a list of strings or the path of a token
    file. ``report.id_map`` holds ``(old, new)`` pairs; ``report.remap(ids)`` renumbers a text
    tokenized before the trim. The other arguments are the command's options of the same names
    (``embsurgery trim --help``).
    """
    sources = _corpus_files(corpus, "corpus must be a path or a list of paths (give texts as texts=)")
    stdin = _text_input(texts, sources)
    keep_options: list[str] = []
    if isinstance(keep, (str, os.PathLike)):
        keep_options = ["--keep=" + path_argument(keep)]
    elif keep is not None:
        listed = list(keep)
        if not all(isinstance(token, str) for token in listed):
            raise TypeError("keep must be a path or strings")
        keep_options = [f"--keep-token={token}" for token in listed]
    arguments = ["trim", path_argument(model), *sources, *keep_options] + options(
        min_count=min_count, output=output, in_place=in_place, tokenizer=tokenizer,
        embedding=embedding, head=head, revision=revision,
    )
    return _written(
        TrimReport, arguments, link_unchanged=link_unchanged, dry_run=dry_run, force=force, progress=progress,
        stdin=stdin,
    )


def extend(
    model: StrPath,
    corpus: StrPath | Sequence[StrPath] = (),
    *,
    texts: Iterable[str] | None = None,
    add: int | None = None,
    words: StrPath | None = None,
    min_count: int | None = None,
    init: Initialization | None = None,
    pad_to_multiple_of: int | None = None,
    seed: int | None = None,
    noise_scale: float | None = None,
    embedding: str | None = None,
    head: str | None = None,
    revision: str | None = None,
    output: StrPath | None = None,
    in_place: bool = False,
    link_unchanged: bool = False,
    dry_run: bool = False,
    force: bool = False,
    progress: bool | Progress = False,
) -> ExtendReport:
    """Grows the BPE vocabulary of `model` (a model folder, or a repository id in the local cache)
    with real merges, appended after the old ones, and gives the new tokens rows.

    Either `add` merges are learned by continued BPE from the corpus, stopping early when the
    most frequent pair occurs fewer than `min_count` times; or `words` (the path of a file with
    one string per line, spaces kept, or a ``.json`` array) each become one token through a chain
    of merges (a corpus is then only measured). The corpus is the files `corpus` (one path or a
    list of paths; each non-empty line is a text, or a ``.jsonl`` file of ``{"text": ...}``
    objects) and the strings `texts` (any iterable, streamed to the command's standard input as
    it yields them). ``report.merges`` lists the
    new merges and their token ids; ``report.new_ids`` the new tokens' ids (the rows to train,
    for PEFT's ``trainable_token_indices``); ``report.corpus`` the corpus's tokens before and
    after.
    `init` is ``nearest`` (the command's default: the mean of the token's old pieces),
    ``mean``, ``random``, ``zeros`` or ``mvn``. `None` leaves an option at the command's
    default. The other arguments are the command's options of the same names
    (``embsurgery extend --help``).
    """
    sources = _corpus_files(corpus, "corpus must be a path or a list of paths (give texts as texts=)")
    stdin = _text_input(texts, sources)
    if words is not None and not isinstance(words, (str, os.PathLike)):
        raise TypeError("words must be the path of a file (one string per line, or a .json array)")
    arguments = ["extend", path_argument(model), *sources] + options(
        add=add, words=None if words is None else path_argument(words), min_count=min_count, init=init,
        pad_to_multiple_of=pad_to_multiple_of, seed=seed, noise_scale=noise_scale, embedding=embedding, head=head,
        revision=revision, output=output, in_place=in_place,
    )
    return _written(
        ExtendReport, arguments, link_unchanged=link_unchanged, dry_run=dry_run, force=force, progress=progress,
        stdin=stdin,
    )


def transplant(
    model: StrPath,
    donor: StrPath,
    *,
    init: TransplantInitialization | None = None,
    k: int | None = None,
    pad_to_multiple_of: int | None = None,
    tokenizer: StrPath | None = None,
    revision: str | None = None,
    donor_revision: str | None = None,
    output: StrPath | None = None,
    in_place: bool = False,
    link_unchanged: bool = False,
    dry_run: bool = False,
    force: bool = False,
    progress: bool | Progress = False,
) -> TransplantReport:
    """Gives `model` (a model folder, a repository id in the local cache at `revision`, or a
    ``.safetensors`` file with `tokenizer`) the tokenizer of `donor` (a folder or repository id,
    at `donor_revision`, with a tokenizer.json, with or without weights).

    A donor token that stands for the same bytes as a base token takes its row byte for byte;
    special tokens match by content, then by role. The other rows are made by `init`: ``omp``
    (the default when the donor has weights; at most `k` atoms), ``nearest`` (the default
    without) or ``mean``. ``report.id_map`` gives, for each donor id, the base id whose row it
    took (``None``: approximated or padding); ``report.worst`` the pursuit's residual and largest
    coefficient of each approximated token. `None` leaves an option at the command's default. The
    other arguments are the command's options of the same names (``embsurgery transplant --help``).
    """
    arguments = ["transplant", path_argument(model), "--donor=" + path_argument(donor)] + options(
        init=init, k=k, pad_to_multiple_of=pad_to_multiple_of, tokenizer=tokenizer, revision=revision,
        donor_revision=donor_revision, output=output, in_place=in_place,
    )
    return _written(
        TransplantReport, arguments, link_unchanged=link_unchanged, dry_run=dry_run, force=force, progress=progress
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


def _report(
    report: type[R], arguments: list[str], *, findings_exit: bool = False, progress: Progress | None = None,
    stdin: Iterable[bytes] | None = None,
) -> R:
    """Runs ``embsurgery ARGUMENTS --json`` and decodes what it prints as `report`. Each command
    is a function of a few lines over this one."""
    document = run_json([*arguments, "--json"], findings_exit=findings_exit, progress=progress, stdin=stdin)
    return decode(report, document)


def _written(
    report: type[R], arguments: list[str], *, link_unchanged: bool, dry_run: bool, force: bool,
    progress: bool | Progress, stdin: Iterable[bytes] | None = None,
) -> R:
    """``_report`` for the commands that write a checkpoint, with their shared options: progress
    as JSON lines on the command's standard error when `progress` asks for it."""
    handler = progress_handler(progress)
    arguments = arguments + options(link_unchanged=link_unchanged, dry_run=dry_run, force=force, quiet=handler is None)
    if handler is not None:
        arguments.append("--progress=jsonl")
    return _report(report, arguments, progress=handler, stdin=stdin)


def _corpus_files(corpus: StrPath | Sequence[StrPath], message: str) -> list[str]:
    """``--corpus`` options for one path or a list of paths; anything else raises TypeError with `message`."""
    files = [corpus] if isinstance(corpus, (str, os.PathLike)) else list(corpus)
    if not all(isinstance(file, (str, os.PathLike)) for file in files):
        raise TypeError(message)
    return ["--corpus=" + path_argument(file) for file in files]


def _text_input(texts: Iterable[str] | None, sources: list[str]) -> Iterable[bytes] | None:
    """For strings `texts`: appends ``--corpus=-`` (JSON lines) to `sources` and returns the
    command's standard input; `None` when there are none."""
    if texts is None:
        return None
    if isinstance(texts, (str, bytes)):
        raise TypeError("texts must be an iterable of strings, not one string")
    sources += ["--corpus=-", "--corpus-format=jsonl"]
    return _json_lines(texts)


def _json_lines(texts: Iterable[str]) -> Iterator[bytes]:
    """`texts` as ``{"text": ...}`` lines, as the iterable yields them."""
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"texts must be strings, not {type(text).__name__}")
        yield (json.dumps({"text": text}, ensure_ascii=False) + "\n").encode("utf-8")
