"""Proves a vocabulary trim of a whole model folder (`embsurgery trim`) with transformers, torch,
tokenizers and sentencepiece; prints a one-line JSON summary, and exits 1 with the failures
(also on stderr) when anything is wrong.

    python trim_model_reference.py check ORIGINAL_DIR TRIMMED_DIR CORPUS_FILE REPORT_JSON
                                         [--kind causal|masked|encoder] [--logit-texts N]
    python trim_model_reference.py info DIR
    python trim_model_reference.py kept-ids ORIGINAL_DIR CORPUS_FILE       (self-test only)
    python trim_model_reference.py reference-trim ORIGINAL_DIR OUT_DIR KEPT_IDS_JSON
    python trim_model_reference.py self-test ORIGINAL_DIR CORPUS_FILE [--kind ...]

A DIR is a Hugging Face model folder (config.json, model.safetensors or an index with shards,
tokenizer.json, ...) or a sentence-transformers folder (its Transformer module's folder is used).
CORPUS_FILE: one text a line (`\\n` or `\\r\\n` removed, empty lines skipped), `.jsonl` (the
"text" member of each line), or `.json` (an array of strings). REPORT_JSON: the `--json` report of
`embsurgery trim` ({"rows_before", "rows_after", "kept", "removed", "resized", "id_map": [[old,
new], ...], ...}).

`check` asserts, each under its own name in the failures:
  id_map:     new ids are 0..n-1, old ids ascending (order kept) and rows of the original; the
              report's rows_before/rows_after/kept/removed agree with the files;
  tensors:    each tensor the report lists as resized is the original's rows (entries) at the old
              ids, gathered along its vocabulary axis, bit for bit; every other tensor is unchanged;
              bytes_before/bytes_after are the files' sizes or the tensors' data;
  files:      the other files of the folder (special_tokens_map.json, chat templates, ...) are copied;
  tokenizer:  every corpus text gets the original's token strings from the trimmed tokenizer.json,
              and the original ids map through id_map to the trimmed ids (with and without the
              special tokens the post-processor adds); tokenizer_config.json's added_tokens_decoder
              and vocab.txt name the same tokens at the new ids;
  arbitrary:  texts outside the corpus (emoji, CJK, accents, code, control characters, empty,
              random code points) encode without error; for byte-level BPE and byte fallback,
              decode(encode(text)) is what the original gives;
  logits:     on up to N corpus texts (default 50), the trimmed model's logits equal the original's
              at the kept ids (columns old ids, in order) within 1e-5 (f32, CPU); for an encoder,
              the last hidden states;
  load:       transformers loads the trimmed model, tokenizer and generation config with no
              warning (Python warnings and transformers' logging at WARNING and above);
  config:     config.json's vocab_size (and text_config.vocab_size) is the number of rows; every
              `*_token_id(s)` of config.json and generation_config.json (nested too) is the
              original's id mapped through id_map and names the same token;
  spm:        a tokenizer.model beside it loads in sentencepiece and encodes the corpus to the
              trimmed tokenizer.json's ids (without special tokens), on the texts where the original
              .model and tokenizer.json agree.

`reference-trim` is a crude Python trim (rows gathered with torch, config and tokenizer files
rewritten, a SentencePiece model's pieces dropped) for testing `check` itself; `kept-ids` is what it
keeps for a corpus (the corpus's tokens, added and config-named tokens, the base vocabulary and the
BPE merge paths); `self-test` trims with both, expects `check` to pass, then breaks the output in
several ways and expects each to be caught.
"""
import argparse
import contextlib
import copy
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402
from safetensors import safe_open  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trim_reference import arbitrary_texts  # noqa: E402

TOLERANCE = 1e-5
DTYPE_BYTES = {"F64": 8, "I64": 8, "U64": 8, "F32": 4, "I32": 4, "U32": 4, "F16": 2, "BF16": 2, "I16": 2,
               "U16": 2, "I8": 1, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1}
MAX_TOKENS = 256
# Besides trim_reference's texts (which include emoji, CJK, control characters, the empty text and
# random code points): code, accents, whitespace runs and mixed scripts.
MORE_TEXTS = [
    "def f(x):\n    return {'a': [1, 2, 3], \"b\": x ** 2}  # comment",
    "for (int i = 0; i < n; ++i) { sum += a[i]; }",
    "SELECT id, name FROM users WHERE age >= 18 ORDER BY name;",
    "<div class=\"x\">&amp; &lt;tag&gt;</div>",
    "Café crème, naïve façade, Ångström, Dvořák, Łódź, Þórr, œuvre",
    "Straße ÄÖÜ äöü ñ ç ø å",
    "Ελληνικά κείμενα, русский текст, עברית, العربية",
    "    leading spaces and trailing spaces    ",
    "tabs\tbetween\twords\nand\nnew lines\r\n",
    "many     spaces      here",
    "MiXeD CaSe WoRdS and ALLCAPS",
    "https://example.org/path?query=1&x=y#frag",
    "user@example.com +1-555-0100 $100.00 50% #hashtag @mention",
    "1234567890 3.14159 -0.001 1e-10 0xFF",
    "The quick brown fox jumps over the lazy dog.",
    "👨‍👩‍👧‍👦 family, 🏳️‍🌈 flag, ✋🏿 hand",
    "mixed 中文 and English 和 日本語 text",
    "ASCII art: ¯\\_(ツ)_/¯ (╯°□°)╯︵ ┻━┻",
    "math: ∀x ∈ ℝ, ∑ᵢ xᵢ² ≥ 0 ⇒ √x",
    "\u00a0non-breaking\u2003em space\u3000ideographic",
    "line\u2028separator\u2029paragraph",
    "‘quotes’ “double” «guillemets» „low“",
    "—dashes– and … ellipsis",
    "<s> </s> <pad> [CLS] [SEP] [MASK] <|im_start|> <unk>",
]


class CheckFailed(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Reading model folders


def model_folder(path):
    """The folder holding config.json: PATH itself, or a sentence-transformers folder's
    Transformer module."""
    if os.path.exists(os.path.join(path, "config.json")):
        return path
    modules = os.path.join(path, "modules.json")
    if os.path.exists(modules):
        for module in json.load(open(modules, encoding="utf-8")):
            if module.get("type", "").endswith("models.Transformer"):
                return os.path.join(path, module.get("path", ""))
    # An unpacked wheel: the one folder below that holds a model.
    found = sorted({root for root, _, files in os.walk(path) if "config.json" in files and
                    any(f.startswith("model") and f.endswith(".safetensors") or f == "model.safetensors.index.json"
                        for f in files)})
    if len(found) == 1:
        return found[0]
    raise CheckFailed(f"{path}: no config.json (nor a sentence-transformers Transformer module, nor one model "
                      f"folder below: {found})")


def read_json(path, default=None):
    if not os.path.exists(path):
        return default
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, ensure_ascii=False)
        f.write("\n")


def read_corpus(path):
    with open(path, encoding="utf-8") as f:
        if path.endswith(".json"):
            value = json.load(f)
            return value["texts"] if isinstance(value, dict) else value
        lines = [line.rstrip("\n").removesuffix("\r") for line in f]
    lines = [line for line in lines if line]
    if path.endswith(".jsonl"):
        return [json.loads(line)["text"] for line in lines]
    return lines


class Tensors:
    """The tensors of a model folder (model.safetensors or an index with shards), read with
    torch (BF16 included)."""

    def __init__(self, folder):
        index = read_json(os.path.join(folder, "model.safetensors.index.json"))
        if index:
            self.files = {name: os.path.join(folder, shard) for name, shard in index["weight_map"].items()}
        else:
            path = os.path.join(folder, "model.safetensors")
            with safe_open(path, "pt") as handle:
                self.files = {name: path for name in handle.keys()}
        self.info = {}
        for path in sorted(set(self.files.values())):
            with safe_open(path, "pt") as handle:
                for name in handle.keys():
                    part = handle.get_slice(name)
                    self.info[name] = (part.get_dtype(), list(part.get_shape()))

    def names(self):
        return sorted(self.info)

    def get(self, name):
        with safe_open(self.files[name], "pt") as handle:
            return handle.get_tensor(name)

    def nbytes(self):
        """The files' sizes."""
        return sum(os.path.getsize(path) for path in set(self.files.values()))

    def data_bytes(self):
        """The tensors' data, without the headers."""
        total = 0
        for dtype, shape in self.info.values():
            count = 1
            for size in shape:
                count *= size
            total += count * DTYPE_BYTES[dtype]
        return total


def text_config(config):
    return config.get("text_config") or config


def vocabulary_roles(folder):
    """(embedding, head or None, head bias or None, rows) by the tensors' shapes and names."""
    config = read_json(os.path.join(folder, "config.json"))
    rows = text_config(config)["vocab_size"]
    tensors = Tensors(folder)
    matrices = [n for n, (_, shape) in tensors.info.items() if len(shape) == 2 and shape[0] == rows]
    vectors = [n for n, (_, shape) in tensors.info.items()
               if shape in ([rows], [1, rows]) and not n.endswith("position_ids")]
    heads = [n for n in matrices if any(k in n for k in ("lm_head", "decoder", "output", "head"))]
    embeddings = [n for n in matrices if n not in heads]
    if len(embeddings) != 1 or len(heads) > 1 or len(vectors) > 1:
        raise CheckFailed(f"{folder}: cannot tell the embedding ({embeddings}), head ({heads}) "
                          f"and head bias ({vectors}) apart")
    return embeddings[0], (heads or [None])[0], (vectors or [None])[0], rows


def infer_kind(folder):
    architectures = read_json(os.path.join(folder, "config.json")).get("architectures") or []
    name = architectures[0] if architectures else ""
    if name.endswith("ForCausalLM") or name.endswith("LMHeadModel"):
        return "causal"
    if name.endswith("ForMaskedLM"):
        return "masked"
    return "encoder"


def tokenizer_kind(folder):
    document = read_json(os.path.join(folder, "tokenizer.json"))
    model = document["model"]

    def has_byte_level(part):
        if not part:
            return False
        if part.get("type") == "ByteLevel":
            return True
        return any(has_byte_level(p) for p in part.get("pretokenizers", []) + part.get("decoders", []))

    byte_level = has_byte_level(document.get("pre_tokenizer"))
    byte_fallback = bool(model.get("byte_fallback"))
    return {"type": model["type"], "byte_level": byte_level, "byte_fallback": byte_fallback,
            "byte_complete": model["type"] == "BPE" and (byte_level or byte_fallback)}


def load_tokenizer(folder):
    path = os.path.join(folder, "tokenizer.json")
    if not os.path.exists(path):
        raise CheckFailed(f"{path} is missing")
    tokenizer = Tokenizer.from_file(path)
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


def info(path):
    folder = model_folder(path)
    config = read_json(os.path.join(folder, "config.json"))
    embedding, head, bias, rows = vocabulary_roles(folder)
    tensors = Tensors(folder)
    kind = infer_kind(folder)
    return {"folder": folder, "kind": kind, "rows": rows,
            "hidden": tensors.info[embedding][1][1],
            "tied": None if kind == "encoder" else head is None,
            "tie_word_embeddings": text_config(config).get("tie_word_embeddings", config.get("tie_word_embeddings")),
            "embedding": embedding, "head": head, "head_bias": bias,
            "tokenizer": dict(tokenizer_kind(folder),
                              size=load_tokenizer(folder).get_vocab_size(with_added_tokens=True)),
            "files": sorted(f for f in os.listdir(folder) if not f.startswith(".")),
            "tensors": {n: [d, s] for n, (d, s) in sorted(tensors.info.items())}}


# ---------------------------------------------------------------------------------------------
# Loading with transformers, warnings captured


@contextlib.contextmanager
def captured_warnings():
    """Collects Python warnings and transformers' log records at WARNING and above (the messages
    logged once are forgotten first, so each load shows all of its own)."""
    from transformers.utils import logging as hf_logging
    messages = []

    class Collect(logging.Handler):
        def emit(self, record):
            messages.append(f"{record.name}: {record.getMessage()}")

    for method in ("warning_once", "info_once"):
        cached = getattr(logging.Logger, method, None)
        if hasattr(cached, "cache_clear"):
            cached.cache_clear()
    hf_logging.set_verbosity_warning()
    hf_logging.disable_progress_bar()
    hf_logging.disable_default_handler()
    logger = hf_logging.get_logger()
    handler = Collect(level=logging.WARNING)
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield messages
    finally:
        logger.removeHandler(handler)
        hf_logging.enable_default_handler()
    messages.extend(f"{w.category.__name__}: {w.message}" for w in caught)
    messages[:] = [re.sub(r"\x1b\[[0-9;]*m", "", m) for m in messages]


def load_model(folder, kind):
    from transformers import AutoModel, AutoModelForCausalLM, AutoModelForMaskedLM
    model_class = {"causal": AutoModelForCausalLM, "masked": AutoModelForMaskedLM, "encoder": AutoModel}[kind]
    return model_class.from_pretrained(folder, dtype=torch.float32).eval()


def load_everything(folder, kind):
    """The model, and the warnings of loading it, its tokenizer and its generation config."""
    from transformers import AutoTokenizer, GenerationConfig
    with captured_warnings() as messages:
        model = load_model(folder, kind)
        AutoTokenizer.from_pretrained(folder)
        if os.path.exists(os.path.join(folder, "generation_config.json")):
            GenerationConfig.from_pretrained(folder)
    return model, messages


# ---------------------------------------------------------------------------------------------
# The checks


def token_id_members(value, path=""):
    """(path, value) of every `*_token_id` / `*_token_ids` member, nested objects included."""
    if isinstance(value, dict):
        for key, member in value.items():
            where = f"{path}.{key}" if path else key
            if key.endswith("_token_id") or key.endswith("_token_ids"):
                yield where, member
            elif isinstance(member, dict):
                yield from token_id_members(member, where)


def lookup(value, path):
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def as_id_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def sample(texts, count):
    if len(texts) <= count:
        return list(texts)
    return [texts[round(i * (len(texts) - 1) / (count - 1))] for i in range(count)]


class Checker:
    def __init__(self, original, trimmed, corpus, report, kind, logit_texts):
        self.original = model_folder(original)
        self.trimmed = model_folder(trimmed)
        self.texts = read_corpus(corpus)
        self.report = read_json(report)
        self.kind = kind or infer_kind(self.original)
        self.logit_texts = logit_texts
        self.failures = []
        self.summary = {"kind": self.kind, "texts": len(self.texts)}

    def fail(self, check, message):
        self.failures.append(f"{check}: {message}")

    def run(self):
        self.tokenizer_a = load_tokenizer(self.original)
        self.tokenizer_b = load_tokenizer(self.trimmed)
        if not self.check_id_map():
            return
        for name, step in (("tensors", self.check_tensors), ("files", self.check_files),
                           ("tokenizer", self.check_tokenizer),
                           ("arbitrary", self.check_arbitrary), ("config", self.check_config),
                           ("spm", self.check_spm), ("load", self.check_models)):
            try:
                step()
            except Exception as error:  # noqa: BLE001 - a crash in a check is a failure of it
                self.fail(name, f"{type(error).__name__}: {error}")

    # id_map ------------------------------------------------------------------------------------
    def check_id_map(self):
        report = self.report
        pairs = report.get("id_map")
        if not isinstance(pairs, list) or not all(isinstance(p, list) and len(p) == 2 for p in pairs):
            self.fail("id_map", "the report has no id_map list of [old, new] pairs")
            return False
        pairs = sorted(pairs, key=lambda p: p[1])
        if [p[1] for p in pairs] != list(range(len(pairs))):
            self.fail("id_map", f"the new ids are not 0..{len(pairs) - 1}")
            return False
        self.kept = [p[0] for p in pairs]
        if any(b <= a for a, b in zip(self.kept, self.kept[1:])):
            self.fail("id_map", "the old ids are not ascending: the trim changed the tokens' order")
            return False
        self.new_of = {old: new for new, old in enumerate(self.kept)}
        self.embedding, self.head, self.bias, self.rows_before = vocabulary_roles(self.original)
        if self.kept and not 0 <= self.kept[0] <= self.kept[-1] < self.rows_before:
            self.fail("id_map", f"old ids outside 0..{self.rows_before - 1}")
            return False
        n = len(self.kept)
        self.summary.update(rows_before=self.rows_before, rows_after=n)
        expected = {"rows_before": self.rows_before, "rows_after": n}
        for key, value in expected.items():
            if report.get(key) != value:
                self.fail("id_map", f"the report's {key} is {report.get(key)}, expected {value}")
        # removed counts the tokenizer's tokens that went, not rows: the padding rows past the
        # vocabulary (a tokenizer of 1000 pieces over 1024 rows) are no token.
        tokens = self.tokenizer_a.get_vocab_size(with_added_tokens=True)
        for key, count, ids in (("kept", n, self.kept),
                                ("removed", tokens - len([i for i in self.kept if i < tokens]),
                                 sorted(set(range(tokens)) - set(self.kept)))):
            value = report.get(key)
            if value is not None and value != count and value != ids:
                self.fail("id_map", f"the report's {key} is {value}, expected {count}")
        return True

    # tensors -----------------------------------------------------------------------------------
    def check_tensors(self):
        a, b = Tensors(self.original), Tensors(self.trimmed)
        if a.names() != b.names():
            self.fail("tensors", f"tensor names differ: missing {sorted(set(a.names()) - set(b.names()))}, "
                                 f"extra {sorted(set(b.names()) - set(a.names()))}")
        index = torch.tensor(self.kept, dtype=torch.long)
        resized = []
        for name in a.names():
            if name not in b.info:
                continue
            (dtype_a, shape_a), (dtype_b, shape_b) = a.info[name], b.info[name]
            if dtype_a != dtype_b:
                self.fail("tensors", f"{name} is {dtype_b}, was {dtype_a}")
                continue
            x, y = a.get(name), b.get(name)
            if shape_a == shape_b:
                if not same_bits(x, y):
                    self.fail("tensors", f"{name} changed but was not resized")
                continue
            axes = [i for i, (p, q) in enumerate(zip(shape_a, shape_b)) if p != q]
            if len(shape_a) != len(shape_b) or len(axes) != 1 or shape_a[axes[0]] != self.rows_before \
                    or shape_b[axes[0]] != len(self.kept):
                self.fail("tensors", f"{name} is {shape_b}, was {shape_a}: not a trim of {self.rows_before} "
                                     f"rows to {len(self.kept)}")
                continue
            resized.append(name)
            gathered = x.index_select(axes[0], index)
            if not same_bits(gathered, y):
                differing = (gathered != y).reshape(len(self.kept), -1).any(1) if axes[0] == 0 else None
                where = "" if differing is None else f" at new ids {differing.nonzero().flatten()[:8].tolist()}"
                self.fail("tensors", f"{name} is not the original's rows at the kept ids{where}")
        if sorted(self.report.get("resized", [])) != sorted(resized):
            self.fail("tensors", f"the report lists {self.report.get('resized')} as resized, the files "
                                 f"show {resized}")
        self.summary["resized"] = resized
        # bytes_before/after: the checkpoint files' sizes, or the tensors' data (either, the same for both).
        counted = {"files": (a.nbytes(), b.nbytes()), "data": (a.data_bytes(), b.data_bytes())}
        value = (self.report.get("bytes_before"), self.report.get("bytes_after"))
        if value != (None, None) and value not in counted.values():
            self.fail("tensors", f"the report's bytes_before/after are {list(value)}: neither the files' sizes "
                                 f"{list(counted['files'])} nor the tensors' data {list(counted['data'])}")

    # files -------------------------------------------------------------------------------------
    def check_files(self):
        """Files the trim has no reason to change (special_tokens_map.json, chat templates, ...) are
        copied as they are."""
        rewritten = {"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                     "vocab.txt", "tokenizer.model", "model.safetensors.index.json"}
        rewritten |= {os.path.basename(p) for p in Tensors(self.original).files.values()}
        for name in sorted(os.listdir(self.original)):
            source = os.path.join(self.original, name)
            if name in rewritten or name.startswith(".") or not os.path.isfile(source):
                continue
            target = os.path.join(self.trimmed, name)
            if not os.path.isfile(target):
                self.fail("files", f"{name} is missing")
            elif open(source, "rb").read() != open(target, "rb").read():
                self.fail("files", f"{name} changed")

    # tokenizer ---------------------------------------------------------------------------------
    def mapped(self, ids):
        return [self.new_of.get(i, -1) for i in ids]

    def check_tokenizer(self):
        a, b = self.tokenizer_a, self.tokenizer_b
        size = b.get_vocab_size(with_added_tokens=True)
        if size > len(self.kept):
            self.fail("tokenizer", f"the trimmed tokenizer has {size} tokens, more than the {len(self.kept)} rows")
        tokens, examples = 0, []
        for text in self.texts:
            for special in (False, True):
                x, y = a.encode(text, add_special_tokens=special), b.encode(text, add_special_tokens=special)
                if x.tokens != y.tokens or self.mapped(x.ids) != y.ids:
                    examples.append({"text": text, "special": special, "original": x.tokens,
                                     "trimmed": y.tokens, "mapped_ids": self.mapped(x.ids), "ids": y.ids})
                tokens += len(x.ids) if not special else 0
        if examples:
            self.fail("tokenizer", f"{len(examples)} corpus encodings differ, e.g. "
                                   f"{json.dumps(examples[0], ensure_ascii=False)[:600]}")
        self.summary["tokens"] = tokens
        # tokenizer_config.json's added_tokens_decoder: the same tokens at the new ids.
        config_a = read_json(os.path.join(self.original, "tokenizer_config.json"), {})
        config_b = read_json(os.path.join(self.trimmed, "tokenizer_config.json"), {})
        decoder_a = config_a.get("added_tokens_decoder") or {}
        decoder_b = config_b.get("added_tokens_decoder") or {}
        expected = {str(self.new_of[int(k)]): v for k, v in decoder_a.items() if int(k) in self.new_of}
        if len(expected) != len(decoder_a) or expected != decoder_b:
            self.fail("tokenizer", "tokenizer_config.json's added_tokens_decoder is not the original's at the new ids")
        for key, value in config_a.items():
            if key != "added_tokens_decoder" and config_b.get(key) != value:
                self.fail("tokenizer", f"tokenizer_config.json's {key} changed")
        # vocab.txt: the original's lines at the kept ids, and the trimmed tokenizer.json's vocabulary.
        vocab_a = os.path.join(self.original, "vocab.txt")
        if os.path.exists(vocab_a):
            lines_a = open(vocab_a, encoding="utf-8").read().split("\n")[:-1]
            lines_b = open(os.path.join(self.trimmed, "vocab.txt"), encoding="utf-8").read().split("\n")[:-1]
            if lines_b != [lines_a[i] for i in self.kept if i < len(lines_a)]:
                self.fail("tokenizer", "vocab.txt is not the original's lines at the kept ids")
            elif any(b.token_to_id(line) != i for i, line in enumerate(lines_b)):
                self.fail("tokenizer", "vocab.txt and tokenizer.json disagree")

    # arbitrary texts ---------------------------------------------------------------------------
    def check_arbitrary(self):
        a, b = self.tokenizer_a, self.tokenizer_b
        kind = tokenizer_kind(self.trimmed)
        texts = MORE_TEXTS + arbitrary_texts(11)
        errors, differing = [], []
        for text in texts:
            try:
                y = b.encode(text, add_special_tokens=False)
            except Exception as error:  # noqa: BLE001
                errors.append(f"{text!r}: {error}")
                continue
            if kind["byte_complete"]:
                x = a.encode(text, add_special_tokens=False)
                if b.decode(y.ids, skip_special_tokens=False) != a.decode(x.ids, skip_special_tokens=False):
                    differing.append(text)
        if errors:
            self.fail("arbitrary", f"{len(errors)} texts do not encode, e.g. {errors[0]}")
        if differing:
            self.fail("arbitrary", f"{len(differing)} texts decode otherwise than with the original, e.g. {differing[0]!r}")
        self.summary["arbitrary"] = {"texts": len(texts), "round_trip": kind["byte_complete"]}

    # config ------------------------------------------------------------------------------------
    def check_config(self):
        rows = Tensors(self.trimmed).info[self.embedding][1][0]
        checked = 0
        for name in ("config.json", "generation_config.json"):
            a = read_json(os.path.join(self.original, name))
            b = read_json(os.path.join(self.trimmed, name))
            if a is None:
                continue
            if b is None:
                self.fail("config", f"{name} is missing")
                continue
            if name == "config.json":
                for where in ("vocab_size", "text_config.vocab_size"):
                    if lookup(a, where) is not None and lookup(b, where) != rows:
                        self.fail("config", f"{where} is {lookup(b, where)}, the embedding has {rows} rows")
            for where, value in token_id_members(a):
                ids_a, ids_b = as_id_list(value), as_id_list(lookup(b, where))
                if ids_b != self.mapped(ids_a) or isinstance(value, list) != isinstance(lookup(b, where), list):
                    self.fail("config", f"{name} {where} is {lookup(b, where)}, expected {self.mapped(ids_a)} "
                                        f"(the original {value} through id_map)")
                    continue
                names_a = [self.tokenizer_a.id_to_token(i) for i in ids_a]
                names_b = [self.tokenizer_b.id_to_token(i) for i in ids_b]
                if names_a != names_b:
                    self.fail("config", f"{name} {where} names {names_b}, was {names_a}")
                checked += len(ids_a)
        self.summary["config_ids"] = checked

    # sentencepiece -----------------------------------------------------------------------------
    def check_spm(self):
        path_a = os.path.join(self.original, "tokenizer.model")
        if not os.path.exists(path_a):
            return
        import sentencepiece as spm
        path_b = os.path.join(self.trimmed, "tokenizer.model")
        if not os.path.exists(path_b):
            self.fail("spm", "tokenizer.model is missing")
            return
        sp_a = spm.SentencePieceProcessor(model_file=path_a)
        sp_b = spm.SentencePieceProcessor(model_file=path_b)
        compared, examples = 0, []
        for text in self.texts:
            if sp_a.encode(text) != self.tokenizer_a.encode(text, add_special_tokens=False).ids:
                continue
            compared += 1
            ids = self.tokenizer_b.encode(text, add_special_tokens=False).ids
            if sp_b.encode(text) != ids:
                examples.append(f"{text!r}: spm {sp_b.encode(text, out_type=str)}, "
                                f"tokenizer.json {[self.tokenizer_b.id_to_token(i) for i in ids]}")
        if examples:
            self.fail("spm", f"{len(examples)} corpus texts encode otherwise, e.g. {examples[0]}"[:600])
        if compared == 0 and self.texts:
            self.fail("spm", "the original tokenizer.model and tokenizer.json agree on no corpus text")
        self.summary["spm"] = {"pieces": sp_b.get_piece_size(), "compared": compared}

    # models ------------------------------------------------------------------------------------
    def check_models(self):
        trimmed, messages = load_everything(self.trimmed, self.kind)
        if messages:
            self.fail("load", f"{len(messages)} warnings loading the trimmed folder: " + " | ".join(messages)[:1500])
        rows = trimmed.get_input_embeddings().weight.shape[0]
        if rows != len(self.kept):
            self.fail("load", f"transformers sees {rows} embedding rows, the id map {len(self.kept)}")
        original = load_model(self.original, self.kind)
        limit = min(MAX_TOKENS, text_config(read_json(os.path.join(self.original, "config.json")))
                    .get("max_position_embeddings") or MAX_TOKENS)
        index = torch.tensor(self.kept, dtype=torch.long)
        worst, texts = 0.0, sample(self.texts, self.logit_texts)
        for text in texts:
            ids_a = self.tokenizer_a.encode(text).ids[:limit]
            ids_b = self.tokenizer_b.encode(text).ids[:limit]
            if ids_b != self.mapped(ids_a):
                continue  # the tokenizer check has said so
            with torch.no_grad():
                x = original(input_ids=torch.tensor([ids_a]))
                y = trimmed(input_ids=torch.tensor([ids_b]))
            if self.kind == "encoder":
                x, y = x.last_hidden_state, y.last_hidden_state
            else:
                x, y = x.logits.index_select(-1, index), y.logits
            if x.shape != y.shape:
                self.fail("logits", f"shapes {list(y.shape)} and {list(x.shape)} (original at the kept ids)")
                return
            worst = max(worst, (x - y).abs().max().item())
        if not worst <= TOLERANCE:
            what = "last hidden states" if self.kind == "encoder" else "logits at the kept ids"
            self.fail("logits", f"the {what} differ by up to {worst:.3g} (tolerance {TOLERANCE})")
        self.summary["logits"] = {"texts": len(texts), "max_abs_diff": worst}


def same_bits(x, y):
    if x.shape != y.shape or x.dtype != y.dtype:
        return False
    return torch.equal(x.contiguous().view(torch.uint8), y.contiguous().view(torch.uint8))


def check(arguments):
    checker, failures = None, []
    try:
        checker = Checker(arguments.original, arguments.trimmed, arguments.corpus, arguments.report,
                          arguments.kind, arguments.logit_texts)
        checker.run()
    except CheckFailed as error:
        failures.append(str(error))
    except Exception as error:  # noqa: BLE001 - a folder the checks cannot even read fails them
        failures.append(f"{type(error).__name__}: {error}")
    if checker:
        failures = checker.failures + failures
    result = dict(ok=not failures, **(checker.summary if checker else {}))
    if failures:
        result["failures"] = failures
    print(json.dumps(result, ensure_ascii=False))
    for failure in failures:
        print(f"trim_model_reference: {failure}", file=sys.stderr)
    return 1 if failures else 0


# ---------------------------------------------------------------------------------------------
# A crude reference trim, for testing the checker


def merge_pair(merge):
    return tuple(merge.split(" ", 1)) if isinstance(merge, str) else tuple(merge)


def kept_ids(path, corpus):
    """The ids a trim to `corpus` keeps (TrimPlan's rule, roughly)."""
    folder = model_folder(path)
    tokenizer = load_tokenizer(folder)
    document = read_json(os.path.join(folder, "tokenizer.json"))
    model = document["model"]
    vocab = model["vocab"]
    pieces = {p[0]: i for i, p in enumerate(vocab)} if isinstance(vocab, list) else vocab
    kept = set()
    for text in read_corpus(corpus):
        for special in (False, True):
            kept.update(tokenizer.encode(text, add_special_tokens=special).ids)
    kept.update(t["id"] for t in document.get("added_tokens", []))
    for name in ("config.json", "generation_config.json"):
        for _, value in token_id_members(read_json(os.path.join(folder, name), {})):
            kept.update(as_id_list(value))
    prefix = model.get("continuing_subword_prefix") or ""
    for piece, i in pieces.items():
        bare = piece.removeprefix(prefix) if prefix else piece
        if len(bare) == 1 or (piece.startswith("<0x") and len(piece) == 6) or piece in ("▁", model.get("unk_token")):
            kept.add(i)
    if isinstance(vocab, list):
        kept.add(min(range(len(vocab)), key=lambda i: vocab[i][1]))
        if model.get("unk_id") is not None:
            kept.add(model["unk_id"])
    if model["type"] == "BPE":
        formed = {}
        for merge in model["merges"]:
            left, right = merge_pair(merge)
            formed.setdefault(left + right, []).append((left, right))
        stack = [tokenizer.id_to_token(i) for i in kept]
        while stack:
            for pair in formed.get(stack.pop(), []):
                for part in pair:
                    if part in pieces and pieces[part] not in kept:
                        kept.add(pieces[part])
                        stack.append(part)
    rows = vocabulary_roles(folder)[3]
    return sorted(i for i in kept if 0 <= i < rows)


def remap_token_ids(value, new_of):
    value = copy.deepcopy(value)
    for where, member in token_id_members(value):
        target = value
        *parents, key = where.split(".")
        for parent in parents:
            target = target[parent]
        if isinstance(member, list):
            target[key] = [new_of[i] for i in member]
        elif member is not None:
            target[key] = new_of[member]
    return value


def trim_tokenizer_json(document, kept, new_of):
    document = copy.deepcopy(document)
    model = document["model"]
    if isinstance(model["vocab"], list):
        model["vocab"] = [model["vocab"][i] for i in kept]
        if model.get("unk_id") is not None:
            model["unk_id"] = new_of[model["unk_id"]]
    else:
        model["vocab"] = {token: new_of[i] for token, i in model["vocab"].items() if i in new_of}
    if model["type"] == "BPE":
        vocab = model["vocab"]
        model["merges"] = [m for m in model["merges"]
                           if all(part in vocab for part in merge_pair(m)) and "".join(merge_pair(m)) in vocab]
    for token in document.get("added_tokens", []):
        token["id"] = new_of[token["id"]]

    def processor(part):
        if not part:
            return
        for special in (part.get("special_tokens") or {}).values():
            special["ids"] = [new_of[i] for i in special["ids"]]
        for key in ("sep", "cls"):
            if key in part:
                part[key][1] = new_of[part[key][1]]
        for inner in part.get("processors", []):
            processor(inner)
    processor(document.get("post_processor"))
    if document.get("padding"):
        document["padding"]["pad_id"] = new_of[document["padding"]["pad_id"]]
    return document


def reference_trim(path, out, kept):
    folder = model_folder(path)
    kept = sorted(set(kept))
    new_of = {old: new for new, old in enumerate(kept)}
    embedding, head, bias, rows = vocabulary_roles(folder)
    tensors = Tensors(folder)
    index = torch.tensor(kept, dtype=torch.long)
    output, resized = {}, []
    for name in tensors.names():
        tensor = tensors.get(name)
        if name in (embedding, head, bias):
            tensor = tensor.index_select(tensor.dim() - 1 if name == bias else 0, index)
            resized.append(name)
        output[name] = tensor.contiguous()
    os.makedirs(out, exist_ok=True)
    save_file(output, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
    skip = {"model.safetensors.index.json"} | {os.path.basename(p) for p in tensors.files.values()}
    for name in os.listdir(folder):
        source = os.path.join(folder, name)
        if name in skip or not os.path.isfile(source):
            continue
        if name in ("config.json", "generation_config.json"):
            value = remap_token_ids(read_json(source), new_of)
            if name == "config.json":
                text_config(value)["vocab_size"] = len(kept)
                if "text_config" in value and "vocab_size" in value:
                    value["vocab_size"] = len(kept)
            write_json(os.path.join(out, name), value)
        elif name == "tokenizer.json":
            write_json(os.path.join(out, name), trim_tokenizer_json(read_json(source), kept, new_of))
        elif name == "tokenizer_config.json":
            value = read_json(source)
            if "added_tokens_decoder" in value:
                value["added_tokens_decoder"] = {str(new_of[int(k)]): v for k, v in value["added_tokens_decoder"].items()}
            write_json(os.path.join(out, name), value)
        elif name == "vocab.txt":
            lines = open(source, encoding="utf-8").read().split("\n")[:-1]
            with open(os.path.join(out, name), "w", encoding="utf-8") as f:
                f.write("".join(lines[i] + "\n" for i in kept if i < len(lines)))
        elif name == "tokenizer.model":
            from sentencepiece import sentencepiece_model_pb2
            proto = sentencepiece_model_pb2.ModelProto()
            proto.ParseFromString(open(source, "rb").read())
            pieces = [proto.pieces[i] for i in kept if i < len(proto.pieces)]
            del proto.pieces[:]
            proto.pieces.extend(pieces)
            for key in ("unk_id", "bos_id", "eos_id", "pad_id"):
                old = getattr(proto.trainer_spec, key)
                if old >= 0:
                    setattr(proto.trainer_spec, key, new_of[old])
            with open(os.path.join(out, name), "wb") as f:
                f.write(proto.SerializeToString())
        else:
            shutil.copyfile(source, os.path.join(out, name))
    return {"rows_before": rows, "rows_after": len(kept), "kept": len(kept), "removed": rows - len(kept),
            "bytes_before": tensors.nbytes(), "bytes_after": os.path.getsize(os.path.join(out, "model.safetensors")),
            "resized": resized, "output": out, "id_map": [[old, new] for new, old in enumerate(kept)]}


def self_test(arguments):
    """Trims with the reference, expects `check` to pass, then breaks the output in several ways
    and expects each to be caught by the named check."""
    folder = model_folder(arguments.original)
    kept = kept_ids(folder, arguments.corpus)
    embedding, head, bias, rows = vocabulary_roles(folder)
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        good = os.path.join(scratch, "trimmed")
        report = reference_trim(folder, good, kept)
        report_path = os.path.join(scratch, "report.json")
        write_json(report_path, report)

        def run(trimmed, report_file):
            namespace = argparse.Namespace(original=folder, trimmed=trimmed, corpus=arguments.corpus,
                                           report=report_file, kind=arguments.kind,
                                           logit_texts=arguments.logit_texts)
            checker = Checker(namespace.original, namespace.trimmed, namespace.corpus, namespace.report,
                              namespace.kind, namespace.logit_texts)
            checker.run()
            return checker

        checker = run(good, report_path)
        if checker.failures:
            raise CheckFailed("the reference trim fails the check: " + " | ".join(checker.failures))
        results.append({"case": "reference trim", "summary": checker.summary})

        def broken(name, expect, change_files=None, change_report=None):
            target = os.path.join(scratch, name)
            shutil.copytree(good, target)
            changed = copy.deepcopy(report)
            if change_files:
                change_files(target)
            if change_report:
                change_report(changed)
            path = os.path.join(scratch, name + ".json")
            write_json(path, changed)
            failures = run(target, path).failures
            caught = any(f.startswith(expect + ":") for f in failures)
            results.append({"case": name, "expected": expect, "caught": caught, "failures": failures[:3]})

        def edit_tensors(change):
            def apply(target):
                path = os.path.join(target, "model.safetensors")
                with safe_open(path, "pt") as handle:
                    tensors = {n: handle.get_tensor(n) for n in handle.keys()}
                change(tensors)
                save_file(tensors, path, metadata={"format": "pt"})
            return apply

        def edit_json(name, change):
            def apply(target):
                path = os.path.join(target, name)
                value = read_json(path)
                change(value)
                write_json(path, value)
            return apply

        def swap_rows(name, i, j):
            def change(tensors):
                t = tensors[name]
                axis = t.dim() - 1 if name == bias else 0
                a, b = t.select(axis, i).clone(), t.select(axis, j).clone()
                t.select(axis, i).copy_(b)
                t.select(axis, j).copy_(a)
            return change

        # Two (new) ids of ordinary tokens the corpus uses.
        tokenizer = load_tokenizer(folder)
        added = {t["id"] for t in read_json(os.path.join(folder, "tokenizer.json")).get("added_tokens", [])}
        used = sorted({report_new for text in read_corpus(arguments.corpus)
                       for old in tokenizer.encode(text, add_special_tokens=False).ids
                       if old not in added and not tokenizer.id_to_token(old).startswith("<0x")
                       for report_new in [kept.index(old)]})
        i, j = used[len(used) // 3], used[2 * len(used) // 3]
        broken("embedding rows swapped", "tensors", edit_tensors(swap_rows(embedding, i, j)))
        if head:
            broken("head rows swapped", "logits", edit_tensors(swap_rows(head, i, j)))
        if bias:
            def nudge(tensors):
                tensors[bias].view(-1)[i] += 0.01
            broken("head bias nudged", "logits", edit_tensors(nudge))
        broken("extra tensor", "load", edit_tensors(lambda t: t.update({"stray.weight": torch.zeros(2)})))

        def vocab_swap(document):
            vocab = document["model"]["vocab"]
            if isinstance(vocab, list):
                vocab[i], vocab[j] = vocab[j], vocab[i]
            else:
                a, b = [t for t, k in vocab.items() if k in (i, j)]
                vocab[a], vocab[b] = vocab[b], vocab[a]
        broken("tokenizer ids swapped", "tokenizer", edit_json("tokenizer.json", vocab_swap))

        config = read_json(os.path.join(good, "config.json"))
        members = [(w, v) for w, v in token_id_members(config) if as_id_list(v)]
        if members:
            where, value = members[0]

            def shift(value_json):
                target = value_json
                *parents, key = where.split(".")
                for parent in parents:
                    target = target[parent]
                target[key] = [k + 1 for k in value] if isinstance(value, list) else value + 1
            broken(f"config {where} off by one", "config", edit_json("config.json", shift))
        broken("config vocab_size wrong", "config",
               edit_json("config.json", lambda c: text_config(c).update(vocab_size=text_config(c)["vocab_size"] + 1)))
        broken("id map not dense", "id_map", change_report=lambda r: r["id_map"][-1].__setitem__(1, len(kept) + 3))
        broken("id map reordered", "id_map",
               change_report=lambda r: (r["id_map"][i].__setitem__(0, kept[j]), r["id_map"][j].__setitem__(0, kept[i])))
        broken("report rows_after wrong", "id_map", change_report=lambda r: r.update(rows_after=r["rows_after"] + 1))
        broken("report resized incomplete", "tensors", change_report=lambda r: r.update(resized=r["resized"][1:]))
        broken("report bytes wrong", "tensors", change_report=lambda r: r.update(bytes_after=r["bytes_after"] - 1))
        for name in ("special_tokens_map.json", "chat_template.jinja"):
            if os.path.exists(os.path.join(good, name)):
                broken(f"{name} changed", "files", lambda target: open(os.path.join(target, name), "a").write(" "))
                break
        if os.path.exists(os.path.join(good, "tokenizer.model")):
            def drop_piece(target):
                from sentencepiece import sentencepiece_model_pb2
                path = os.path.join(target, "tokenizer.model")
                proto = sentencepiece_model_pb2.ModelProto()
                proto.ParseFromString(open(path, "rb").read())
                proto.pieces[i].piece, proto.pieces[j].piece = proto.pieces[j].piece, proto.pieces[i].piece
                open(path, "wb").write(proto.SerializeToString())
            broken("tokenizer.model pieces swapped", "spm", drop_piece)
        if os.path.exists(os.path.join(good, "vocab.txt")):
            def vocab_lines(target):
                path = os.path.join(target, "vocab.txt")
                lines = open(path, encoding="utf-8").read().split("\n")
                lines[i], lines[j] = lines[j], lines[i]
                open(path, "w", encoding="utf-8").write("\n".join(lines))
            broken("vocab.txt lines swapped", "tokenizer", vocab_lines)
    missed = [r["case"] for r in results[1:] if not r["caught"]]
    print(json.dumps({"ok": not missed, "folder": folder, "rows": rows, "kept": len(kept),
                      "cases": results}, ensure_ascii=False))
    if missed:
        print(f"trim_model_reference: self-test: not caught: {missed}", file=sys.stderr)
        return 1
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("check")
    for name in ("original", "trimmed", "corpus", "report"):
        p.add_argument(name)
    p.add_argument("--kind", choices=["causal", "masked", "encoder"])
    p.add_argument("--logit-texts", type=int, default=50)
    p = commands.add_parser("info")
    p.add_argument("folder")
    p = commands.add_parser("kept-ids")
    p.add_argument("original")
    p.add_argument("corpus")
    p = commands.add_parser("reference-trim")
    for name in ("original", "out", "kept"):
        p.add_argument(name)
    p = commands.add_parser("self-test")
    p.add_argument("original")
    p.add_argument("corpus")
    p.add_argument("--kind", choices=["causal", "masked", "encoder"])
    p.add_argument("--logit-texts", type=int, default=50)
    arguments = parser.parse_args()
    try:
        if arguments.command == "check":
            return check(arguments)
        if arguments.command == "info":
            print(json.dumps(info(arguments.folder), ensure_ascii=False))
        elif arguments.command == "kept-ids":
            print(json.dumps(kept_ids(arguments.original, arguments.corpus)))
        elif arguments.command == "reference-trim":
            print(json.dumps(reference_trim(arguments.original, arguments.out, read_json(arguments.kept))))
        else:
            return self_test(arguments)
    except CheckFailed as error:
        print(f"trim_model_reference: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
