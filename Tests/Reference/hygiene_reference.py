"""Reference side of the vocabulary-hygiene tests (resize --reuse-reserved, --init mvn,
fix-untrained): builds small checkpoints of model families with reserved placeholder tokens, and
checks outputs against float64 numpy computations and the Python `tokenizers` library.

    python hygiene_reference.py make SPEC_JSON        # writes a model folder; prints {"slots": ...}
    python hygiene_reference.py verify SPEC_JSON      # prints a JSON list of failures ([] when right)
    python hygiene_reference.py untrained SPEC_JSON   # prints the rows the reference flags

make SPEC: folder, family ("llama3" | "gemma"), dtype, dim, seed, head (bool), nan_rows, small_rows.
verify SPEC: folder, output, dtype, rows (before), rows_after, targets ({"id": "init"}),
excluded (ids left out of the statistics besides all-zero and flagged rows), exclude_flagged
(false: only all-zero rows are left out, as a plain resize does), noise_scale,
tokens ({"token": id} that tokenizers must encode to that id), slots ({"old text": "new text"}).
"""
import json
import os
import sys

import numpy as np
from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resize_reference import RawFile, from_float64, to_float64, ulp_distance, write_tensors  # noqa: E402

EMBEDDING = "model.embed_tokens.weight"
HEAD = "lm_head.weight"


def decoder_entry(token):
    return {"content": token.content, "lstrip": token.lstrip, "normalized": token.normalized,
            "rstrip": token.rstrip, "single_word": token.single_word, "special": token.special}


def make(spec):
    folder, dtype, dim, family = spec["folder"], spec["dtype"], spec["dim"], spec["family"]
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(spec.get("seed", 0))
    config_extra, generation, tokenizer_config = {}, None, {}
    if family == "llama3":
        words = {f"w{i}": i for i in range(30)}
        tokenizer = Tokenizer(models.WordLevel(words, unk_token="w0"))
        tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
        specials = ["<|begin_of_text|>", "<|end_of_text|>"] + [f"<|reserved_special_token_{i}|>" for i in range(8)]
        tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
        rows = 40
        zero_rows = list(range(32, 40))
        # eos lists a reserved slot (33); generation pads with one (35); tokenizer_config pads with 37.
        config_extra = {"bos_token_id": 30, "eos_token_id": [31, 33]}
        generation = {"bos_token_id": 30, "eos_token_id": 31, "pad_token_id": 35}
        tokenizer_config = {"bos_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>",
                            "pad_token": "<|reserved_special_token_5|>"}
    elif family == "gemma":
        words = {"<pad>": 0, "<eos>": 1, "<bos>": 2, "<unk>": 3}
        words.update({f"<unused{i}>": 4 + i for i in range(6)})
        words.update({f"w{i}": 10 + i for i in range(26)})
        tokenizer = Tokenizer(models.WordLevel(words, unk_token="<unk>"))
        tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
        tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False)
                                      for t in ["<pad>", "<eos>", "<bos>", "<unk>"]])
        tokenizer.add_tokens([AddedToken(f"<unused{i}>", special=False, normalized=False) for i in range(6)])
        rows = 36
        zero_rows = []
        config_extra = {"pad_token_id": 0, "eos_token_id": 1, "bos_token_id": 2}
        # The chat template mentions <unused3>: that slot is never taken.
        tokenizer_config = {"bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>",
                            "unk_token": "<unk>", "additional_special_tokens": [],
                            "chat_template": "{{ bos_token }}{% for m in messages %}<unused3>{{ m.content }}{% endfor %}"}
    else:
        raise SystemExit(f"unknown family {family}")
    tokenizer.save(os.path.join(folder, "tokenizer.json"))
    decoder = {str(i): decoder_entry(t) for i, t in sorted(tokenizer.get_added_tokens_decoder().items())}
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump({"added_tokens_decoder": decoder, **tokenizer_config, "model_max_length": 128}, f, indent=2)

    def matrix(offset):
        values = rng.normal(offset, 0.02, (rows, dim))
        for row in zero_rows:
            values[row] = 0
        for row in spec.get("small_rows", []):
            values[row] *= 1e-4
        for row in spec.get("nan_rows", []):
            values[row, 1] = np.nan
        return from_float64(values, dtype)

    tensors = {EMBEDDING: matrix(0.01)}
    if spec.get("head", True):
        tensors[HEAD] = matrix(-0.03)
    tensors["model.norm.weight"] = from_float64(np.ones(dim), dtype)
    write_tensors(os.path.join(folder, "model.safetensors"), tensors, {name: dtype for name in tensors})
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump({"model_type": family, "vocab_size": rows, "hidden_size": dim, **config_extra}, f, indent=2)
    if generation:
        with open(os.path.join(folder, "generation_config.json"), "w") as f:
            json.dump(generation, f, indent=2)


def untrained(values):
    """The rows flagged as untrained: {row: [findings]} (zero, nonfinite, low_norm: the spelling of audit)."""
    flags = {}
    finite = np.all(np.isfinite(values), axis=1)
    zero = np.all(values == 0, axis=1)
    for row in np.nonzero(zero)[0]:
        flags.setdefault(int(row), []).append("zero")
    for row in np.nonzero(~finite)[0]:
        flags.setdefault(int(row), []).append("nonfinite")
    candidates = np.nonzero(finite & ~zero)[0]
    if len(candidates) >= 3:
        norms = np.linalg.norm(values[candidates], axis=1)
        logs = np.log(norms)
        median = np.median(logs)
        mad = np.median(np.abs(logs - median))
        if mad > 0:
            z = 0.6745 * (logs - median) / mad
            limit = np.quantile(norms, 0.01)
            far = norms < 0.5 * np.exp(median)
            for index in np.nonzero((z < -3.5) & (norms < limit) & far)[0]:
                flags.setdefault(int(candidates[index]), []).append("low_norm")
    return flags


def trained_rows(values, excluded, exclude_flagged=True):
    flags = untrained(values) if exclude_flagged else {r: 0 for r in np.nonzero(np.all(values == 0, axis=1))[0]}
    keep = [r for r in range(values.shape[0]) if r not in flags and r not in excluded]
    return values[keep]


def verify(spec):
    failures = []
    folder, output, dtype = spec["folder"], spec["output"], spec["dtype"]
    targets = {int(k): v for k, v in spec["targets"].items()}
    excluded = set(spec.get("excluded", [])) | set(targets)
    source = RawFile(os.path.join(folder, "model.safetensors"))
    result = RawFile(os.path.join(output, "model.safetensors"))
    rows_before, rows_after = spec["rows"], spec["rows_after"]
    def raw(handle, name):
        begin, end = handle._header[name]["data_offsets"]
        return handle._data[begin:end], handle._header[name]["shape"]

    for name in source.keys():
        if name not in (EMBEDDING, HEAD, "embeddings.word_embeddings.weight"):
            if name not in result.keys() or raw(source, name) != raw(result, name):
                failures.append(f"{name} changed")
            continue
        before, after = source.get_tensor(name), result.get_tensor(name)
        if after.shape != (rows_after, before.shape[1]):
            failures.append(f"{name} has shape {after.shape}")
            continue
        kept = [r for r in range(rows_before) if r not in targets]
        if after[kept].tobytes() != before[kept].tobytes():
            failures.append(f"{name}: rows that are not targets changed")
        values = to_float64(before, dtype)
        trained = trained_rows(values, excluded, spec.get("exclude_flagged", True))
        mean = trained.mean(axis=0)
        new_ids = sorted(targets)
        sampled = to_float64(after[new_ids], dtype)
        rule = set(targets.values())
        if rule == {"mean"} or rule == {"zeros"}:
            want = mean if rule == {"mean"} else np.zeros_like(mean)
            expected = from_float64(np.tile(want, (len(new_ids), 1)), dtype)
            got = after[new_ids]
            if dtype in ("BF16", "F16"):
                if len(new_ids) and ulp_distance(got, expected, dtype).max() > 1:
                    failures.append(f"{name}: rows differ from the float64 {rule} of the trained rows")
            elif not np.all(np.abs(sampled - want) <= 1e-5 * np.abs(want) + 1e-6):
                failures.append(f"{name}: rows differ from the float64 {rule} of the trained rows")
        elif rule == {"mvn"}:
            scale = float(spec["noise_scale"])
            centered = trained - mean
            sigma = centered.T @ centered / len(trained)
            n = len(new_ids)
            spread = np.sqrt(np.diag(sigma) * scale / n)
            sample_mean = sampled.mean(axis=0)
            if np.any(np.abs(sample_mean - mean) > 5 * spread + 1e-7):
                failures.append(f"{name}: the mean of the sampled rows is off by "
                                f"{np.max(np.abs(sample_mean - mean) / spread):.2f} standard errors")
            diffs = sampled - mean
            empirical = diffs.T @ diffs / n
            error = np.linalg.norm(empirical - scale * sigma) / np.linalg.norm(scale * sigma)
            if error > 0.15:
                failures.append(f"{name}: empirical covariance differs from S*Sigma by {error:.3f} (relative)")
        else:
            failures.append(f"unsupported rules {rule}")
    tokenizer_path = os.path.join(output, "tokenizer.json")
    if spec.get("tokens"):
        tokenizer = Tokenizer.from_file(tokenizer_path)
        tokenizer.no_padding()
        tokenizer.no_truncation()
        for token, id in spec["tokens"].items():
            ids = tokenizer.encode(token, add_special_tokens=False).ids
            if ids != [id]:
                failures.append(f"tokenizers encodes {token!r} as {ids}, expected [{id}]")
        vocabulary = tokenizer.get_vocab()
        for old in spec.get("slots", {}):
            if old in vocabulary:
                failures.append(f"{old} is still in the vocabulary")
        config_path = os.path.join(output, "tokenizer_config.json")
        if os.path.exists(config_path) and "added_tokens_decoder" in json.load(open(config_path)):
            decoder = json.load(open(config_path))["added_tokens_decoder"]
            for token, id in spec["tokens"].items():
                if decoder.get(str(id), {}).get("content") != token:
                    failures.append(f"added_tokens_decoder[{id}] is {decoder.get(str(id))}, expected {token!r}")
    return failures


if __name__ == "__main__":
    command, spec = sys.argv[1], json.loads(sys.argv[2])
    if command == "make":
        make(spec)
    elif command == "untrained":
        handle = RawFile(spec["file"])
        print(json.dumps(untrained(to_float64(handle.get_tensor(spec["tensor"]), spec["dtype"]))))
    else:
        print(json.dumps(verify(spec)))
