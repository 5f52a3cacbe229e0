"""`embsurgery.trim` on the shipped fixture: the report against the command's JSON, the id map
against the files written, and the trimmed tokenizer loaded by `tokenizers` and `transformers`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file
from support import FIXTURE, TOKENS, assert_mirrors, command_error
from tokenizers import Tokenizer
from transformers import AutoTokenizer

import embsurgery

LINES = [
    "The cat sat on the mat.",
    "The dog is at the park, near the old oak tree.",
    "",  # an empty line is no text
    "Numbers 0123 and punctuation !?",
]
TEXTS = [
    "Knowledge graphs relate concepts: a cup is used for drinking.",
    "Embedding surgery, with a line\nbreak and ünïcödé",  # one text: a .jsonl line may hold anything
]
KEEP = ["<|end_of_text|>", "cation", "<|not-a-token|>"]  # "cation": a token the corpus does not use


def corpus_file(folder: Path) -> Path:
    path = folder / "corpus.txt"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    return path


def test_trim(tmp_path: Path, documents: list[Any]) -> None:
    output = tmp_path / "trimmed"
    report = embsurgery.trim(FIXTURE, corpus_file(tmp_path), texts=TEXTS, keep=KEEP, output=output)
    assert_mirrors(report, documents[-1])
    assert report.written and report.output == str(output)
    assert report.rows_before == 320 and report.rows_after == report.kept < 320
    assert report.kept + report.removed == report.rows_before
    assert report.bytes_after < report.bytes_before
    assert report.resized == ["model.embed_tokens.weight", "lm_head.weight"]
    assert report.skipped == ["<|not-a-token|>"]

    # The id map: dense new ids, in the old order.
    old = [pair[0] for pair in report.id_map]
    new = [pair[1] for pair in report.id_map]
    assert new == list(range(report.rows_after))
    assert old == sorted(set(old)) and old[-1] < report.rows_before
    assert all(report.new_id(o) == n for o, n in report.id_map)
    removed = sorted(set(range(report.rows_before)) - set(old))
    assert len(removed) == report.removed and report.new_id(removed[0]) is None
    with pytest.raises(KeyError):
        report.remap([0, removed[0]])

    # The same tokens for every text of the corpus, numbered by the map; the kept tokens kept.
    texts = [line for line in LINES if line] + TEXTS
    before = Tokenizer.from_file(str(FIXTURE / "tokenizer.json"))
    after = Tokenizer.from_file(str(output / "tokenizer.json"))
    assert after.get_vocab_size() == report.rows_after
    assert report.corpus == embsurgery.TrimCorpus(len(texts), sum(len(before.encode(text).ids) for text in texts))
    for text in texts:
        encoded_before, encoded_after = before.encode(text), after.encode(text)
        assert encoded_after.tokens == encoded_before.tokens
        assert encoded_after.ids == report.remap(encoded_before.ids)
    for token in KEEP[:2]:
        kept = before.token_to_id(token)
        assert kept is not None and after.token_to_id(token) == report.new_id(kept)

    # transformers loads the trimmed folder and encodes the corpus alike.
    auto_before = AutoTokenizer.from_pretrained(FIXTURE)
    auto_after = AutoTokenizer.from_pretrained(output)
    assert len(auto_after) == report.rows_after
    assert (auto_after.bos_token, auto_after.eos_token) == ("<|begin_of_text|>", "<|end_of_text|>")
    assert auto_after.eos_token_id == report.new_id(auto_before.eos_token_id)
    ids_before = auto_before(texts)["input_ids"]
    ids_after = auto_after(texts)["input_ids"]
    assert ids_after == [report.remap(ids) for ids in ids_before]
    assert auto_after.batch_decode(ids_after) == auto_before.batch_decode(ids_before)
    assert json.loads((output / "config.json").read_text())["vocab_size"] == report.rows_after

    # The rows are the old rows of the kept tokens; every other tensor is unchanged.
    tensors_before = load_file(FIXTURE / "model.safetensors")
    tensors_after = load_file(output / "model.safetensors")
    assert tensors_after.keys() == tensors_before.keys()
    for name, tensor in tensors_before.items():
        expected = tensor[torch.tensor(old)] if name in report.resized else tensor
        assert torch.equal(tensors_after[name], expected), name


def test_trim_dry_run(tmp_path: Path, documents: list[Any]) -> None:
    corpus = corpus_file(tmp_path)
    written = embsurgery.trim(FIXTURE, corpus, output=tmp_path / "written")
    dry = embsurgery.trim(FIXTURE, [corpus], output=tmp_path / "dry", dry_run=True)
    assert_mirrors(dry, documents[-1])
    assert not dry.written and not (tmp_path / "dry").exists()
    assert (dry.id_map, dry.kept, dry.bytes_after) == (written.id_map, written.kept, written.bytes_after)


def test_the_corpus_from_files_and_texts(tmp_path: Path, documents: list[Any]) -> None:
    corpus = corpus_file(tmp_path)
    jsonl = tmp_path / "texts.jsonl"
    jsonl.write_text("".join(json.dumps({"text": text}) + "\n" for text in TEXTS), encoding="utf-8")
    from_files = embsurgery.trim(FIXTURE, [str(corpus), jsonl], dry_run=True)
    assert_mirrors(from_files, documents[-1])
    from_texts = embsurgery.trim(FIXTURE, corpus, texts=(text for text in TEXTS), dry_run=True)
    assert from_texts.id_map == from_files.id_map
    only_texts = embsurgery.trim(FIXTURE, texts=[line for line in LINES if line] + TEXTS, dry_run=True)
    assert only_texts.id_map == from_files.id_map
    # A token file as `keep`, as the command reads it.
    keep = tmp_path / "keep.txt"
    keep.write_text("\n".join(KEEP) + "\n", encoding="utf-8")
    kept_from_file = embsurgery.trim(FIXTURE, corpus, keep=keep, dry_run=True)
    kept_from_list = embsurgery.trim(FIXTURE, corpus, keep=KEEP, dry_run=True)
    assert kept_from_file == kept_from_list and kept_from_list.skipped == ["<|not-a-token|>"]
    cation = Tokenizer.from_file(str(FIXTURE / "tokenizer.json")).token_to_id("cation")
    assert cation is not None
    assert from_files.new_id(cation) is None and kept_from_list.new_id(cation) is not None
    # Without --output the result goes beside the input.
    assert from_files.output == f"{FIXTURE}-trimmed"


def test_min_count_and_an_empty_corpus(tmp_path: Path) -> None:
    corpus = corpus_file(tmp_path)
    once = embsurgery.trim(FIXTURE, corpus, dry_run=True)
    twice = embsurgery.trim(FIXTURE, corpus, min_count=2, dry_run=True)
    empty = embsurgery.trim(FIXTURE, texts=[], dry_run=True)
    assert empty.kept <= twice.kept < once.kept
    assert set(pair[0] for pair in empty.id_map) <= set(pair[0] for pair in twice.id_map)
    assert empty.notes  # says the corpus is empty


def test_trim_arguments_of_the_wrong_type() -> None:
    with pytest.raises(TypeError):
        embsurgery.trim(FIXTURE, texts="one string is not a corpus")
    with pytest.raises(TypeError):
        embsurgery.trim(FIXTURE, texts=[b"bytes"])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        embsurgery.trim(FIXTURE, [b"corpus.txt"])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        embsurgery.trim(FIXTURE, TOKENS, keep=[1, 2])  # type: ignore[list-item]


def test_trim_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"no text": 1}\n', encoding="utf-8")
    with pytest.raises(embsurgery.Error) as raised:
        embsurgery.trim(FIXTURE, bad, output=tmp_path / "out")
    assert raised.value.status == 1
    assert str(raised.value) == command_error("trim", str(FIXTURE), f"--corpus={bad}", "--dry-run")
    assert str(raised.value).startswith(f"{bad}")
    # A bare .safetensors file and no tokenizer.json: trim needs one.
    bare = tmp_path / "model.safetensors"
    bare.write_bytes((FIXTURE / "model.safetensors").read_bytes())
    with pytest.raises(embsurgery.Error) as no_tokenizer:
        embsurgery.trim(bare, TOKENS)
    assert no_tokenizer.value.status == 1
    assert str(no_tokenizer.value) == command_error("trim", str(bare), f"--corpus={TOKENS}")
