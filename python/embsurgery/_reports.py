"""The reports: dataclasses mirroring the command's ``--json`` documents, key for key.

The documents are specified in the Swift sources (``ResizeReport.json``,
``FixUntrainedReport.json``, ``TrimReport.json``, ``ModelAudit.json``, ``CheckpointDiff.json``,
``InspectReport.json``, and the two shapes they share, ``MatrixDescription.json`` and
``FlaggedRow.json``); a field here has the name of its JSON key, so ``report.rows_after`` is
``"rows_after"``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

# An inclusive run of ids, ``(first, last)``.
IdRange = tuple[int, int]


# MARK: shared by several reports


@dataclass(frozen=True)
class Matrix:
    """The embedding or the output head: ``inspect``'s ``embedding`` and ``head``, ``diff``'s
    ``a`` and ``b``, and the start of each of ``audit``'s ``matrices``."""

    name: str
    """The tensor's name."""
    rows: int
    dim: int
    dtype: str


@dataclass(frozen=True)
class FlaggedRow:
    """A row flagged in the embedding, the head or both: an entry of ``audit``'s
    ``flagged_rows`` and of ``fix_untrained``'s ``fixed``.

    The findings are ``zero``, ``nonfinite``, ``low_norm`` (and, in ``audit``, ``duplicate`` and
    ``near_reserved_mean``), ascending.
    """

    id: int
    token: str | None
    where: str | None
    """``embedding``, ``head`` or ``both``; ``None`` for a row that `fix_untrained` was given by
    id but that is flagged nowhere."""
    embedding: list[str]
    """Its findings in the embedding."""
    head: list[str]
    """Its findings in the head (none when the head is tied)."""


# MARK: resize


@dataclass(frozen=True)
class AddedToken:
    """A token that ``resize`` added."""

    token: str
    id: int
    init: str
    """The rule that initialized its rows (``mean`` when ``nearest`` fell back)."""
    pieces: list[int]
    """The ids of the pieces the original tokenizer splits it into (``init="nearest"``)."""
    slot: str | None = None
    """The reserved placeholder it replaced (``reuse_reserved=True``), or ``None`` for a new row."""


@dataclass(frozen=True)
class SkippedToken:
    """A token that ``resize`` did not add, and why."""

    token: str
    reason: str


@dataclass(frozen=True)
class ResizeReport:
    """What ``resize`` did (or, for a dry run, would do)."""

    added: list[AddedToken]
    skipped: list[SkippedToken]
    rows_before: int
    rows_after: int
    resized: list[str]
    tied: bool
    output: str

    @property
    def new_ids(self) -> list[int]:
        """The ids of the added tokens, for PEFT's ``trainable_token_indices``."""
        return [token.id for token in self.added]


# MARK: fix-untrained


@dataclass(frozen=True)
class FixUntrainedReport:
    """What ``fix_untrained`` did (or, for a dry run, would do)."""

    fixed: list[FlaggedRow]
    """The re-initialized rows, ascending, with the findings that selected them."""
    init: str
    changed: list[str]
    tied: bool
    output: str
    written: bool
    notes: list[str]

    @property
    def ids(self) -> list[int]:
        """The ids of the re-initialized rows."""
        return [row.id for row in self.fixed]


# MARK: trim


@dataclass(frozen=True)
class TrimCorpus:
    """How much text ``trim`` encoded."""

    texts: int
    tokens: int
    """The tokens the texts encoded to, with the model's tokenizer before the trim."""


@dataclass(frozen=True)
class TrimReport:
    """What ``trim`` did (or, for a dry run, would do), with the renumbering of the kept tokens."""

    rows_before: int
    rows_after: int
    kept: int
    """Tokens kept."""
    removed: int
    """Tokens removed."""
    bytes_before: int
    """Bytes of the checkpoint's safetensors files before."""
    bytes_after: int
    resized: list[str]
    """The tensors whose rows were gathered."""
    output: str
    id_map: list[tuple[int, int]]
    """``(old id, new id)`` of every kept token, ascending in both: the new ids are dense
    (``0 .. rows_after - 1``) and keep the old order. See `new_id` and `remap`."""
    skipped: list[str]
    """The `keep` tokens that are not in the vocabulary."""
    corpus: TrimCorpus
    written: bool
    notes: list[str]

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


# MARK: inspect


@dataclass(frozen=True)
class CheckpointFile:
    path: str
    tensors: int
    bytes: int


@dataclass(frozen=True)
class Tensor:
    name: str
    dtype: str
    shape: list[int]
    file: str


@dataclass(frozen=True)
class VocabularySizes:
    rows: int | None
    """Rows of the embedding."""
    config: int | None
    """``vocab_size`` of config.json."""
    tokenizer: int | None
    """The tokenizer's size."""


@dataclass(frozen=True)
class InspectReport:
    """What ``inspect`` finds in a checkpoint."""

    files: list[CheckpointFile]
    tensors: list[Tensor]
    metadata: dict[str, str] | None
    embedding: Matrix | None
    head: Matrix | None
    tied: bool
    vocab: VocabularySizes


# MARK: audit


@dataclass(frozen=True)
class IdRanges:
    count: int
    ranges: list[IdRange]


@dataclass(frozen=True)
class AuditThresholds:
    robust_z: float
    low_quantile: float
    cosine: float


@dataclass(frozen=True)
class NormSummary:
    """L2 norm statistics over the rows with a finite norm."""

    count: int
    min: float
    p1: float
    p5: float
    p50: float
    p95: float
    p99: float
    max: float


@dataclass(frozen=True)
class LowNormStatistics:
    median_log_norm: float
    mad_log_norm: float
    low_quantile_norm: float


@dataclass(frozen=True)
class ReservedMean:
    rows: int
    norm: float


@dataclass(frozen=True)
class RowFlags:
    """For each flag, the ascending ids of the rows that have it."""

    zero: list[int]
    nonfinite: list[int]
    low_norm: list[int]
    duplicate: list[int]
    near_reserved_mean: list[int]


@dataclass(frozen=True)
class AuditedMatrix(Matrix):
    """The audit of the embedding or the head: its description (``name``, ``rows``, ``dim``,
    ``dtype``) and what was found in it."""

    role: str
    """``embedding`` or ``head``."""
    norms: NormSummary | None
    low_norm_statistics: LowNormStatistics | None
    reserved_mean: ReservedMean | None
    flagged: RowFlags
    duplicate_groups: list[list[int]]


@dataclass(frozen=True)
class TokenWithoutRow:
    id: int
    token: str | None


@dataclass(frozen=True)
class AuditReport:
    """What ``audit`` finds; ``findings`` is whether anything is flagged (the command's exit 3)."""

    model: str
    tokenizer: str | None
    vocabulary_size: int | None
    reserved: IdRanges
    thresholds: AuditThresholds
    matrices: list[AuditedMatrix]
    flagged_rows: list[FlaggedRow]
    tokens_without_row: list[TokenWithoutRow]
    unused_rows: IdRanges
    notes: list[str]
    findings: bool


# MARK: diff


@dataclass(frozen=True)
class AddedTokenFlags:
    special: bool
    normalized: bool
    lstrip: bool
    rstrip: bool
    single_word: bool


@dataclass(frozen=True)
class DiffToken:
    id: int
    token: str
    added: AddedTokenFlags | None
    """The ``added_tokens`` entry's flags, or ``None`` for a vocabulary token."""


@dataclass(frozen=True)
class RenamedToken:
    id: int
    before: DiffToken
    after: DiffToken


@dataclass(frozen=True)
class MovedToken:
    token: str
    before: int
    after: int


@dataclass(frozen=True)
class FlagChange:
    flag: str
    before: bool | None
    after: bool | None


@dataclass(frozen=True)
class FlagsChanged:
    id: int
    token: str
    changes: list[FlagChange]


@dataclass(frozen=True)
class VocabSizeChange:
    a: int | None
    b: int | None


@dataclass(frozen=True)
class DifferingRow:
    id: int
    max_abs_diff: float | None


@dataclass(frozen=True)
class MatrixDiff:
    role: str
    a: Matrix | None
    b: Matrix | None
    compared_rows: int
    differing_rows: int
    differing_ranges: list[IdRange]
    max_abs_diff: float | None
    max_abs_diff_row: int | None
    rows: list[DifferingRow]
    rows_truncated: bool
    added_rows: IdRange | None
    removed_rows: IdRange | None
    problem: str | None


@dataclass(frozen=True)
class DiffReport:
    """What ``diff`` finds between A and B; ``identical`` is the command's exit 0 (else 3)."""

    a: str
    b: str
    identical: bool
    added: list[DiffToken]
    removed: list[DiffToken]
    renamed: list[RenamedToken]
    moved: list[MovedToken]
    flags_changed: list[FlagsChanged]
    vocab_size: VocabSizeChange | None
    matrices: list[MatrixDiff]
    notes: list[str]
