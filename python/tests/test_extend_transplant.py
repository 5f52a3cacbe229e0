"""`embsurgery.extend` and `embsurgery.transplant` on the shipped fixture: each report against
the command's own ``--json`` report, the merges against `tokenizers` loading the output, the
rows against the input's, and bad input raising `embsurgery.Error` with its kind and path."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file
from support import FIXTURE, ROOT, assert_mirrors, command_error
from tokenizers import Tokenizer

import embsurgery

CORPUS = ROOT / "Fixtures" / "trim-model-corpus.txt"
TENSORS = ["model.embed_tokens.weight", "lm_head.weight"]


def command_report(*arguments: str) -> Any:
    """What the command itself prints with ``--json`` for ARGUMENTS."""
    result = subprocess.run(
        [embsurgery.executable(), *arguments, "--json", "--quiet"], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def without_output(document: Any) -> Any:
    return {key: value for key, value in document.items() if key != "output"}


def test_extend_learns_merges_from_a_corpus(tmp_path: Path, documents: list[Any]) -> None:
    output = tmp_path / "extended"
    report = embsurgery.extend(FIXTURE, CORPUS, add=8, output=output)
    assert_mirrors(report, documents[-1])
    expected = command_report("extend", str(FIXTURE), f"--corpus={CORPUS}", "--add=8", f"--output={tmp_path / 'cli'}")
    assert without_output(documents[-1]) == without_output(expected)
    assert report.written and report.output == str(output) and (output / "model.safetensors").is_file()
    assert len(report.merges) == 8 and all(merge.count >= 2 for merge in report.merges)
    assert [merge.count for merge in report.merges] == sorted((merge.count for merge in report.merges), reverse=True)
    new_ids = sorted({merge.id for merge in report.merges if merge.id >= report.rows_before})
    assert report.rows_before == 320 and new_ids == list(range(320, report.rows_after))
    assert report.new_ids == new_ids
    assert report.resized == TENSORS and report.skipped == []

    # The output's tokenizer has the merges at the reported ids and encodes the corpus as reported.
    before = Tokenizer.from_file(str(FIXTURE / "tokenizer.json"))
    after = Tokenizer.from_file(str(output / "tokenizer.json"))
    assert after.get_vocab_size() == report.rows_after
    for merge in report.merges:
        assert after.token_to_id(merge.token) == merge.id
    texts = [line for line in CORPUS.read_text(encoding="utf-8").splitlines() if line]
    assert report.corpus == embsurgery.ExtendCorpus(
        texts=len(texts),
        bytes=sum(len(text.encode("utf-8")) for text in texts),
        tokens_before=sum(len(before.encode(text).ids) for text in texts),
        tokens_after=sum(len(after.encode(text).ids) for text in texts),
    )
    assert report.corpus.tokens_after < report.corpus.tokens_before
    for text in texts:
        assert after.decode(after.encode(text).ids) == text

    # Old rows byte-identical, one new row a token; every other tensor unchanged.
    tensors_before = load_file(FIXTURE / "model.safetensors")
    tensors_after = load_file(output / "model.safetensors")
    for name, tensor in tensors_before.items():
        if name in report.resized:
            assert tensors_after[name].shape == (report.rows_after, tensor.shape[1])
            assert torch.equal(tensors_after[name][: report.rows_before], tensor), name
        else:
            assert torch.equal(tensors_after[name], tensor), name
    assert json.loads((output / "config.json").read_text())["vocab_size"] == report.rows_after


def test_extend_options(tmp_path: Path, documents: list[Any]) -> None:
    dry = embsurgery.extend(FIXTURE, [str(CORPUS)], add=8, output=tmp_path / "dry", dry_run=True)
    assert_mirrors(dry, documents[-1])
    assert not dry.written and not (tmp_path / "dry").exists()
    # min_count stops the learning early; pad_to_multiple_of rounds the rows up; init and seed pass through.
    few = embsurgery.extend(FIXTURE, CORPUS, add=100, min_count=6, init="random", seed=7, pad_to_multiple_of=64,
                            output=tmp_path / "few")
    assert_mirrors(few, documents[-1])
    assert few.merges == dry.merges[: len(few.merges)] and 0 < len(few.merges) < 100
    assert all(merge.count >= 6 for merge in few.merges) and few.notes
    assert few.rows_after == 384
    again = embsurgery.extend(FIXTURE, CORPUS, add=100, min_count=6, init="random", seed=7, pad_to_multiple_of=64,
                              output=tmp_path / "again")
    assert (tmp_path / "few" / "model.safetensors").read_bytes() == (tmp_path / "again" / "model.safetensors").read_bytes()


def test_extend_learns_from_texts(tmp_path: Path, documents: list[Any]) -> None:
    # texts= streams the strings to the command's standard input (--corpus -, JSON lines): the same
    # merges and corpus counts as the file holding them, alone, from a generator, or beside a file.
    lines = [line for line in CORPUS.read_text(encoding="utf-8").splitlines() if line]
    from_file = embsurgery.extend(FIXTURE, CORPUS, add=12, dry_run=True)
    from_texts = embsurgery.extend(FIXTURE, texts=(line for line in lines), add=12, dry_run=True)
    assert_mirrors(from_texts, documents[-1])
    assert from_texts.merges == from_file.merges and from_texts.corpus == from_file.corpus
    assert len(from_texts.merges) == 12
    # Texts with newlines and quotes stay one text each (JSON lines, not lines).
    odd = ['say "ok"\nthen Photosynthesis', "Photosynthesis\tphotosynthesis"] * 3
    both = embsurgery.extend(FIXTURE, CORPUS, texts=odd, add=12, output=tmp_path / "both")
    assert both.corpus.texts == len(lines) + len(odd)
    assert both.corpus.bytes == from_file.corpus.bytes + sum(len(text.encode("utf-8")) for text in odd)
    after = Tokenizer.from_file(str(tmp_path / "both" / "tokenizer.json"))
    assert both.corpus.tokens_after == sum(len(after.encode(text).ids) for text in lines + odd)
    with pytest.raises(TypeError):
        embsurgery.extend(FIXTURE, texts="one string is not a corpus", add=4)
    with pytest.raises(TypeError):
        embsurgery.extend(FIXTURE, texts=[b"bytes"], add=4)  # type: ignore[list-item]


def test_extend_with_words(tmp_path: Path, documents: list[Any]) -> None:
    words = tmp_path / "words.txt"
    words.write_text(" photosynthesis\n embedding\nthe cat\n", encoding="utf-8")
    output = tmp_path / "extended"
    report = embsurgery.extend(FIXTURE, words=words, output=output)
    assert_mirrors(report, documents[-1])
    assert without_output(documents[-1]) == without_output(
        command_report("extend", str(FIXTURE), f"--words={words}", f"--output={tmp_path / 'cli'}")
    )
    assert [(skipped.token, skipped.reason.split(" (")[0]) for skipped in report.skipped] == [
        ("the cat", "spans a pre-token boundary")
    ]
    assert all(merge.count == 0 for merge in report.merges)
    after = Tokenizer.from_file(str(output / "tokenizer.json"))
    for word in ["Ġphotosynthesis", "Ġembedding"]:  # each a single token inside ordinary text
        assert word in [merge.token for merge in report.merges]
        assert word in after.encode("Plants do" + word.replace("Ġ", " ") + ", mostly.").tokens
    with pytest.raises(TypeError):
        embsurgery.extend(FIXTURE, words=[" photosynthesis"])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        embsurgery.extend(FIXTURE, [b"corpus.txt"], add=1)  # type: ignore[list-item]


def test_extend_errors(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-corpus.txt"
    with pytest.raises(embsurgery.Error) as raised:
        embsurgery.extend(FIXTURE, missing, add=4, output=tmp_path / "out")
    assert (raised.value.status, raised.value.kind, raised.value.path) == (1, "file_system", str(missing))
    assert str(raised.value) == command_error("extend", str(FIXTURE), f"--corpus={missing}", "--add=4", "--dry-run")
    with pytest.raises(embsurgery.Error) as usage:
        embsurgery.extend(FIXTURE, output=tmp_path / "out")
    assert (usage.value.status, usage.value.kind, usage.value.path) == (64, "usage", None)
    assert str(usage.value) == "--corpus is required to learn merges (or give --words)"
    with pytest.raises(embsurgery.Error) as both:
        embsurgery.extend(FIXTURE, CORPUS, add=4, words=CORPUS, output=tmp_path / "out")
    assert str(both.value) == "--add and --words cannot be used together"
    assert not (tmp_path / "out").exists()


def test_transplant_with_the_model_as_its_own_donor(tmp_path: Path, documents: list[Any]) -> None:
    output = tmp_path / "transplanted"
    report = embsurgery.transplant(FIXTURE, FIXTURE, output=output)
    assert_mirrors(report, documents[-1])
    expected = command_report("transplant", str(FIXTURE), f"--donor={FIXTURE}", f"--output={tmp_path / 'cli'}")
    assert without_output(documents[-1]) == without_output(expected)
    assert report.written and report.output == str(output)
    assert (report.rows_before, report.rows_after) == (320, 320)
    assert report.matched == embsurgery.TransplantMatched(bytes=318, special=2, role=0)
    assert report.approximated == 0 and report.worst == [] and report.resized == [] and report.removed_files == []
    assert report.id_map == list(range(320)) and report.init == "omp" and not report.number_split_differs
    assert [(token.token, token.matched, token.base_id) for token in report.special_tokens] == [
        ("<|begin_of_text|>", "content", 0),
        ("<|end_of_text|>", "content", 1),
    ]
    # Every tensor (and every file) identical to the input's.
    tensors_before = load_file(FIXTURE / "model.safetensors")
    tensors_after = load_file(output / "model.safetensors")
    assert tensors_after.keys() == tensors_before.keys()
    for name, tensor in tensors_before.items():
        assert torch.equal(tensors_after[name], tensor), name
    assert sorted(path.name for path in output.iterdir()) == sorted(path.name for path in FIXTURE.iterdir())
    for file in FIXTURE.iterdir():
        assert (output / file.name).read_bytes() == file.read_bytes(), file.name


def test_transplant_from_an_extended_donor(tmp_path: Path, documents: list[Any]) -> None:
    # The donor is the model extended by a few merges: its old tokens match, the new ones are approximated.
    extended = embsurgery.extend(FIXTURE, CORPUS, add=4, output=tmp_path / "donor")
    nearest = embsurgery.transplant(FIXTURE, tmp_path / "donor", init="nearest", output=tmp_path / "nearest")
    assert_mirrors(nearest, documents[-1])
    assert (nearest.rows_before, nearest.rows_after) == (320, extended.rows_after)
    assert nearest.approximated == extended.rows_after - 320 and nearest.init == "nearest"
    assert nearest.id_map == list(range(320)) + [None] * nearest.approximated
    assert nearest.resized == TENSORS
    # nearest is the mean of the token's pieces under the base tokenizer: extend's rows exactly.
    donor_tensors = load_file(tmp_path / "donor" / "model.safetensors")
    nearest_tensors = load_file(tmp_path / "nearest" / "model.safetensors")
    for name, tensor in donor_tensors.items():
        assert torch.equal(nearest_tensors[name], tensor), name
    assert (tmp_path / "nearest" / "tokenizer.json").read_bytes() == (tmp_path / "donor" / "tokenizer.json").read_bytes()

    omp = embsurgery.transplant(FIXTURE, tmp_path / "donor", k=4, pad_to_multiple_of=64, output=tmp_path / "omp")
    assert_mirrors(omp, documents[-1])
    assert (omp.init, omp.k, omp.rows_after) == ("omp", 4, 384)
    assert sorted(row.id for row in omp.worst) == list(range(320, extended.rows_after))
    # Each donor row is the mean of its n base pieces (rounded to BF16): found with coefficients 1/n.
    before = Tokenizer.from_file(str(FIXTURE / "tokenizer.json"))
    for row in omp.worst:
        pieces = len(before.encode(row.token.replace("Ġ", " ")).ids)
        assert row.residual is not None and row.residual < 0.01, row
        assert row.max_coefficient is not None and abs(row.max_coefficient - 1 / pieces) < 0.01, row
    assert omp.id_map[: extended.rows_after] == nearest.id_map


def test_transplant_errors(tmp_path: Path) -> None:
    donor = tmp_path / "donor"
    donor.mkdir()
    with pytest.raises(embsurgery.Error) as missing:
        embsurgery.transplant(FIXTURE, donor, output=tmp_path / "out")
    tokenizer = str(donor / "tokenizer.json")
    assert (missing.value.status, missing.value.kind, missing.value.path) == (1, "invalid_request", tokenizer)
    assert str(missing.value) == command_error("transplant", str(FIXTURE), f"--donor={donor}")
    assert str(missing.value).startswith(f"{tokenizer}: ")
    (donor / "tokenizer.json").write_text("{", encoding="utf-8")
    with pytest.raises(embsurgery.Error) as unreadable:
        embsurgery.transplant(FIXTURE, donor, output=tmp_path / "out")
    assert (unreadable.value.status, unreadable.value.kind, unreadable.value.path) == (1, "invalid_json", tokenizer)
    assert str(unreadable.value) == command_error("transplant", str(FIXTURE), f"--donor={donor}")
    with pytest.raises(embsurgery.Error) as usage:
        embsurgery.transplant(FIXTURE, FIXTURE, init="bogus", output=tmp_path / "out")  # type: ignore[arg-type]
    assert (usage.value.status, usage.value.kind) == (64, "usage")
    assert not (tmp_path / "out").exists()
