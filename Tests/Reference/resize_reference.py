"""Reference side of the resize tests: builds small checkpoints with the Python `safetensors` and
`tokenizers` packages, and checks a resized output against float64 numpy computations.

    python resize_reference.py make SPEC_JSON        # writes a model folder as SPEC describes
    python resize_reference.py verify SPEC_JSON      # prints a JSON list of failures ([] when right)

SPEC keys: folder, dtype (F32/F16/BF16/F64), rows, dim, head (bool), bias (null, "lm_head.bias" or
"final_logits_bias"), zero_rows (ids whose rows are all zero), vocab (tokenizer size, <= rows; null
for no tokenizer), seed. For verify also: output, report (the resize report), init, pad_rows.
"""
import json
import os
import sys

import numpy as np
from safetensors import TensorSpec, safe_open, serialize_file
from tokenizers import Tokenizer, models, pre_tokenizers

STORAGE = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "BF16": np.uint16, "I64": np.int64,
           "I32": np.int32, "U8": np.uint8, "I8": np.int8, "BOOL": np.bool_, "I16": np.int16, "U16": np.uint16}
SAFE_NAME = {"F32": "float32", "F16": "float16", "F64": "float64", "BF16": "bfloat16"}


def to_float64(array, dtype):
    if dtype == "BF16":
        return (array.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    return array.astype(np.float64)


def from_float64(values, dtype):
    """Round float64 values to the stored dtype (RNE), returning the storage array."""
    if dtype == "BF16":
        bits = np.asarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
        return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    return np.asarray(values).astype(STORAGE[dtype])


def write_tensors(path, tensors, dtype_of):
    arrays = {name: np.ascontiguousarray(a) for name, a in tensors.items()}
    serialize_file({name: TensorSpec(dtype=SAFE_NAME[dtype_of[name]], shape=list(a.shape),
                                     data_ptr=a.ctypes.data, data_len=a.nbytes)
                    for name, a in arrays.items()}, path, metadata={"format": "pt"})


def make(spec):
    folder, dtype, rows, dim = spec["folder"], spec["dtype"], spec["rows"], spec["dim"]
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(spec.get("seed", 0))
    tensors, dtypes = {}, {}

    def matrix(offset):
        values = rng.normal(offset, 0.02, (rows, dim))
        for row in spec.get("zero_rows", []):
            values[row] = 0
        return from_float64(values, dtype)

    tensors["model.embed_tokens.weight"] = matrix(0.01)
    if spec.get("head"):
        tensors["lm_head.weight"] = matrix(-0.03)
    bias = spec.get("bias")
    if bias:
        shape = (1, rows) if bias == "final_logits_bias" else (rows,)
        tensors[bias] = from_float64(rng.normal(0.5, 0.1, shape), dtype)
    tensors["model.norm.weight"] = from_float64(np.ones(dim), dtype)
    tensors["model.layers.0.weight"] = from_float64(rng.normal(0, 1, (3, dim)), dtype)
    for name in tensors:
        dtypes[name] = dtype
    if spec.get("shards"):
        # Three shards: the embedding in the first, the head in the second, the rest in the third.
        groups = [["model.embed_tokens.weight", "model.norm.weight"],
                  [n for n in ("lm_head.weight", bias) if n and n in tensors],
                  ["model.layers.0.weight"]]
        weight_map, total = {}, 0
        for index, names in enumerate(groups):
            shard = f"model-{index + 1:05d}-of-{len(groups):05d}.safetensors"
            write_tensors(os.path.join(folder, shard), {n: tensors[n] for n in names}, dtypes)
            for n in names:
                weight_map[n] = shard
                total += tensors[n].nbytes
        with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
            f.write(json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map},
                               indent=2, sort_keys=True) + "\n")
    else:
        write_tensors(os.path.join(folder, "model.safetensors"), tensors, dtypes)
    vocab = spec.get("vocab")
    if vocab is not None:
        words = {f"w{i}": i for i in range(vocab - 1)}
        words["[UNK]"] = vocab - 1
        tokenizer = Tokenizer(models.WordLevel(words, unk_token="[UNK]"))
        tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
        tokenizer.save(os.path.join(folder, "tokenizer.json"))
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump({"model_type": "llama", "vocab_size": rows, "hidden_size": dim}, f, indent=2)


class RawFile:
    """A safetensors file opened with the reference reader (which validates it), its tensors read
    as storage arrays (numpy has no bfloat16: BF16 comes back as uint16 bits)."""

    def __init__(self, path):
        with safe_open(path, "np") as handle:
            self._keys = list(handle.keys())
        data = open(path, "rb").read()
        length = int.from_bytes(data[:8], "little")
        self._header = json.loads(data[8:8 + length])
        self._data = data[8 + length:]

    def keys(self):
        return self._keys

    def get_tensor(self, name):
        entry = self._header[name]
        begin, end = entry["data_offsets"]
        array = np.frombuffer(self._data[begin:end], dtype=STORAGE[entry["dtype"]])
        return array.reshape(entry["shape"])


class ShardedFiles:
    """A sharded checkpoint folder read through its index."""

    def __init__(self, folder):
        self.folder = folder
        self.index = json.load(open(os.path.join(folder, "model.safetensors.index.json")))
        self.weight_map = self.index["weight_map"]
        self.shards = sorted(set(self.weight_map.values()))
        self.files = {shard: RawFile(os.path.join(folder, shard)) for shard in self.shards}

    def keys(self):
        return list(self.weight_map)

    def get_tensor(self, name):
        return self.files[self.weight_map[name]].get_tensor(name)

    def check_index(self):
        failures = []
        total = sum(self.get_tensor(n).nbytes for n in self.weight_map)
        if self.index["metadata"]["total_size"] != total:
            failures.append(f"index total_size is {self.index['metadata']['total_size']}, tensors hold {total}")
        for shard, handle in self.files.items():
            names = set(handle.keys())
            listed = {n for n, f in self.weight_map.items() if f == shard}
            if names != listed:
                failures.append(f"{shard} holds {sorted(names)}, the index lists {sorted(listed)}")
        return failures


def ulp_distance(a, b, dtype):
    if dtype == "BF16":
        return np.abs(a.astype(np.int32) - b.astype(np.int32))
    if dtype == "F16":
        return np.abs(a.view(np.int16).astype(np.int32) - b.view(np.int16).astype(np.int32))
    return None


def verify(spec):
    failures = []
    folder, output, dtype = spec["folder"], spec["output"], spec["dtype"]
    report, rule = spec["report"], spec["init"]
    model_file = spec.get("model_file") or os.path.join(folder, "model.safetensors")
    if os.path.exists(os.path.join(folder, "model.safetensors.index.json")):
        source, result = ShardedFiles(folder), ShardedFiles(output)
        failures += result.check_index()
        for shard in source.shards:
            touched = any(n in report["resized"] for n, f in source.weight_map.items() if f == shard)
            same = open(os.path.join(folder, shard), "rb").read() == open(os.path.join(output, shard), "rb").read()
            if not touched and not same:
                failures.append(f"{shard} holds no resized tensor but is not byte-identical")
    else:
        source = RawFile(model_file)
        result = RawFile(os.path.join(output, os.path.basename(model_file)) if os.path.isdir(output) else output)
    if spec.get("tokenizer"):
        original = Tokenizer.from_file(spec["tokenizer"])
        for entry in report["added"]:
            pieces = original.encode(entry["token"], add_special_tokens=False).ids
            if rule == "nearest" and entry["pieces"] != pieces:
                failures.append(f"pieces of {entry['token']!r} are {entry['pieces']}, tokenizers gives {pieces}")
    rows_before = spec["rows"]
    rows_after = report["rows_after"]
    new_ids = [entry["id"] for entry in report["added"]]
    pad_rows = [r for r in range(rows_before, rows_after) if r not in new_ids]

    def load(handle, name):
        return handle.get_tensor(name)

    for name in source.keys():
        before = load(source, name)
        if name not in result.keys():
            failures.append(f"{name} missing from the output")
            continue
        after = load(result, name)
        if name not in report["resized"]:
            if before.tobytes() != after.tobytes() or before.shape != after.shape:
                failures.append(f"{name} changed although it was not resized")
            continue
        if name.endswith("bias"):
            flat_before, flat_after = before.reshape(-1), after.reshape(-1)
            if flat_after.shape[0] != rows_after:
                failures.append(f"{name} has {flat_after.shape[0]} entries, expected {rows_after}")
                continue
            want = to_float64(flat_before, dtype).mean()
            expected = from_float64(np.full(1, want), dtype)
            for row in new_ids + pad_rows:
                dist = ulp_distance(flat_after[row:row + 1], expected, dtype)
                if dist is not None:
                    wrong = dist.max() > 1
                else:
                    got = to_float64(flat_after[row:row + 1], dtype)[0]
                    wrong = abs(got - want) > 1e-5 * abs(want) + 1e-6
                if wrong:
                    failures.append(f"{name}[{row}] is not the bias mean")
            continue
        if after.shape != (rows_after, before.shape[1]):
            failures.append(f"{name} has shape {after.shape}, expected {(rows_after, before.shape[1])}")
            continue
        kept = [r for r in range(rows_before) if r not in new_ids]
        if after[kept].tobytes() != before[kept].tobytes():
            failures.append(f"{name}: original rows changed")
        values = to_float64(before, dtype)
        nonzero = values[np.any(values != 0, axis=1)]
        mean = nonzero.mean(axis=0) if len(nonzero) else np.zeros(values.shape[1])
        for row in new_ids + pad_rows:
            entry = next((e for e in report["added"] if e["id"] == row), None)
            applied = entry["init"] if entry else "mean"
            if applied == "mean":
                want = mean
            elif applied == "zeros":
                want = np.zeros(values.shape[1])
            elif applied == "nearest":
                want = values[entry["pieces"]].mean(axis=0)
            else:
                want = None
            got = after[row]
            if want is None:  # random: mean ± a few standard deviations, not the mean itself
                std = nonzero.std(axis=0)
                z = (to_float64(got[None, :], dtype)[0] - mean) / np.where(std > 0, std, 1)
                if np.abs(z).max() > 6 or np.allclose(to_float64(got[None, :], dtype)[0], mean):
                    failures.append(f"{name}[{row}] does not look like mean + std * N(0,1)")
                continue
            expected = from_float64(want, dtype)
            if dtype in ("BF16", "F16"):
                dist = ulp_distance(got, expected, dtype)
                if dist.max() > 1:
                    failures.append(f"{name}[{row}] differs from the float64 {applied} by {dist.max()} ulp")
            else:
                g = to_float64(got, dtype)
                if not np.all(np.abs(g - want) <= 1e-5 * np.abs(want) + 1e-6):
                    failures.append(f"{name}[{row}] differs from the float64 {applied}")
    tokenizer_path = os.path.join(output, "tokenizer.json")
    if os.path.isdir(output) and os.path.exists(tokenizer_path):
        tokenizer = Tokenizer.from_file(tokenizer_path)
        tokenizer.no_padding()
        tokenizer.no_truncation()
        for entry in report["added"]:
            ids = tokenizer.encode(entry["token"], add_special_tokens=False).ids
            if ids != [entry["id"]]:
                failures.append(f"tokenizers encodes {entry['token']!r} as {ids}, expected [{entry['id']}]")
        config_path = os.path.join(output, "config.json")
        config = json.load(open(config_path)) if os.path.exists(config_path) else {"vocab_size": rows_after}
        if config.get("vocab_size") != rows_after:
            failures.append(f"config.json vocab_size is {config.get('vocab_size')}, expected {rows_after}")
    return failures


if __name__ == "__main__":
    command, spec = sys.argv[1], json.loads(sys.argv[2])
    if command == "make":
        make(spec)
    else:
        print(json.dumps(verify(spec)))
