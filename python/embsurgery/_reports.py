"""The reports: dataclasses mirroring the command's ``--json`` documents, key for key.

The documents are specified in the Swift sources (``ResizeReport.json``,
``FixUntrainedReport.json``, ``ModelAudit.json``, ``CheckpointDiff.json``, ``InspectReport.json``);
a field here has the name of its JSON key, so ``report.rows_after`` is ``"rows_after"``.
"""

from __future__ import annotations

from dataclasses import dataclass

# An inclusive run of ids, ``(first, last)``.
IdRange = tuple[int, int]


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
class FixedRow:
    """A row that ``fix_untrained`` re-initialized, with the flags that selected it."""

    id: int
    token: str | None
    embedding: list[str]
    head: list[str]


@dataclass(frozen=True)
class FixUntrainedReport:
    """What ``fix_untrained`` did (or, for a dry run, would do)."""

    fixed: list[FixedRow]
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
class Matrix:
    """The embedding or the output head."""

    name: str
    rows: int
    dim: int
    dtype: str


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
class AuditedMatrix:
    role: str
    tensor: str
    dtype: str
    rows: int
    dim: int
    norms: NormSummary | None
    low_norm_statistics: LowNormStatistics | None
    reserved_mean: ReservedMean | None
    flagged: RowFlags
    duplicate_groups: list[list[int]]


@dataclass(frozen=True)
class FlaggedRow:
    id: int
    token: str | None
    where: str
    """``embedding``, ``head`` or ``both``."""
    embedding: list[str]
    head: list[str]


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
class MatrixShape:
    tensor: str
    rows: int
    dim: int
    dtype: str


@dataclass(frozen=True)
class DifferingRow:
    id: int
    max_abs_diff: float | None


@dataclass(frozen=True)
class MatrixDiff:
    role: str
    a: MatrixShape | None
    b: MatrixShape | None
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
