"""Reference side of the audit and diff tests: builds small checkpoints with the Python
`safetensors` and `tokenizers` packages and computes what `audit` and `diff` must find, with
float64 numpy and rules written independently of the Swift code.

    python audit_reference.py llama3 FOLDER      # Llama-3-style: all-zero reserved rows (BF16, untied)
    python audit_reference.py gemma FOLDER       # Gemma-style <unusedN> vocabulary (F32, tied)
    python audit_reference.py changed A B        # B: a copy of the llama3 folder A with changed rows
    python audit_reference.py add-token IN OUT TOKEN   # tokenizer.json + one special token
    python audit_reference.py big FOLDER ROWS DIM  # an F32 embedding of ROWS x DIM (rows 10-19 zero)
    python audit_reference.py peak-rss PROGRAM ARGS...  # runs PROGRAM; prints its exit status and peak RSS

Each command prints a JSON object with what the Swift side must report.
"""
import json
import os
import shutil
import sys

import numpy as np
from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resize_reference import RawFile, from_float64, to_float64, write_tensors  # noqa: E402

ROBUST_Z, LOW_QUANTILE, COSINE = -3.5, 0.01, 0.99


def expected_audit(matrix, reserved):
    """What audit must report for one matrix (float64 values), by the documented rules;
    `reserved`: the placeholder rows and the rows no token uses."""
    rows = matrix.shape[0]
    nonfinite = ~np.isfinite(matrix).all(axis=1)
    zero = (matrix == 0).all(axis=1) & ~nonfinite
    norms = np.full(rows, np.nan)
    norms[~nonfinite] = np.linalg.norm(matrix[~nonfinite], axis=1)
    finite = np.sort(norms[~nonfinite])
    summary = {"count": int(finite.size), "min": finite[0], "max": finite[-1]}
    for name, q in [("p1", 0.01), ("p5", 0.05), ("p50", 0.5), ("p95", 0.95), ("p99", 0.99)]:
        summary[name] = float(np.quantile(finite, q))
    usable = ~nonfinite & ~zero & (norms > 0)
    low = []
    logs = np.log(norms[usable])
    median = np.median(logs)
    mad = np.median(np.abs(logs - median))
    floor = np.quantile(norms[usable], LOW_QUANTILE)
    if mad > 0:
        z = 0.6745 * (logs - median) / mad
        ids = np.nonzero(usable)[0]
        low = [int(i) for i, score in zip(ids, z)
               if score < ROBUST_Z and norms[i] < floor and norms[i] < 0.5 * np.exp(median)]
    groups = {}
    for i in range(rows):
        if not zero[i]:
            groups.setdefault(matrix[i].tobytes(), []).append(i)
    duplicates = sorted(g for g in groups.values() if len(g) > 1)
    near = []
    chosen = [i for i in reserved if i < rows and usable[i]]
    if len(chosen) >= 2:
        mean = matrix[chosen].mean(axis=0)
        if np.any(mean != 0):
            for i in np.nonzero(usable)[0]:
                cosine = matrix[i] @ mean / (norms[i] * np.linalg.norm(mean))
                if cosine >= COSINE:
                    near.append(int(i))
    return {
        "norms": summary,
        "row_norms": [None if np.isnan(n) else float(n) for n in norms],
        "zero": [int(i) for i in np.nonzero(zero)[0]],
        "nonfinite": [int(i) for i in np.nonzero(nonfinite)[0]],
        "low_norm": low,
        "duplicate_groups": duplicates,
        "near_reserved_mean": near,
    }


def llama3(folder):
    os.makedirs(folder, exist_ok=True)
    rows, dim = 265, 64
    rng = np.random.default_rng(7)
    words = {f"w{i}": i for i in range(256)}
    tokenizer = Tokenizer(models.WordLevel(words, unk_token="w0"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    names = ["<|begin_of_text|>", "<|end_of_text|>"] + [f"<|reserved_special_token_{i}|>" for i in range(4)]
    names += ["<|eot_id|>", "<|reserved_special_token_4|>", "<|reserved_special_token_5|>", "<|eom_id|>"]
    tokenizer.add_special_tokens([AddedToken(name, special=True, normalized=False) for name in names])
    tokenizer.save(os.path.join(folder, "tokenizer.json"))
    reserved = [258, 259, 260, 261, 263, 264]
    embedding = rng.normal(0.01, 0.02, (rows, dim))
    head = rng.normal(-0.03, 0.02, (rows, dim))
    embedding[reserved] = 0
    head[258:262] = 0
    embedding[30, 5] = np.inf
    head[12, 3] = np.nan
    embedding[9] = embedding[5]
    embedding[40] = embedding[5]
    embedding[20] *= 1e-3
    head[78] = head[77]
    tensors = {
        "model.embed_tokens.weight": from_float64(embedding, "BF16"),
        "lm_head.weight": from_float64(head, "BF16"),
        "model.norm.weight": from_float64(np.ones(dim), "BF16"),
    }
    write_tensors(os.path.join(folder, "model.safetensors"), tensors, {name: "BF16" for name in tensors})
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump({"model_type": "llama", "vocab_size": rows, "hidden_size": dim, "tie_word_embeddings": False}, f)
    stored_embedding = to_float64(tensors["model.embed_tokens.weight"], "BF16")
    stored_head = to_float64(tensors["lm_head.weight"], "BF16")
    return {
        "reserved": reserved,
        "embedding": expected_audit(stored_embedding, reserved),
        "head": expected_audit(stored_head, reserved),
    }


def gemma(folder):
    os.makedirs(folder, exist_ok=True)
    vocabulary, rows, dim = 100, 104, 48
    rng = np.random.default_rng(11)
    tokens = ["<pad>", "<eos>", "<bos>", "<unk>"] + [f"<unused{i}>" for i in range(10)]
    tokens += [f"w{i}" for i in range(vocabulary - len(tokens))]
    tokenizer = Tokenizer(models.WordLevel({t: i for i, t in enumerate(tokens)}, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in tokens[:4]])
    tokenizer.save(os.path.join(folder, "tokenizer.json"))
    embedding = rng.normal(0, 0.03, (rows, dim))
    untrained = rng.normal(0, 0.03, dim)
    for row in list(range(4, 14)) + [50, 102, 103]:
        embedding[row] = untrained + rng.normal(0, 1e-4, dim)
    embedding[100:102] = 0
    embedding = embedding.astype(np.float32)
    tensors = {"model.embed_tokens.weight": embedding, "model.norm.weight": np.ones(dim, np.float32)}
    write_tensors(os.path.join(folder, "model.safetensors"), tensors, {name: "F32" for name in tensors})
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump({"model_type": "gemma", "vocab_size": rows, "hidden_size": dim}, f)
    reserved = list(range(4, 14))
    unused = list(range(vocabulary, rows))
    return {"reserved": reserved, "embedding": expected_audit(embedding.astype(np.float64), reserved + unused)}


def changed(source, target):
    """Copies the llama3 folder `source` to `target`, changes a few rows, appends two rows to
    each matrix, adds one special token and bumps vocab_size; returns the expected differences."""
    shutil.copytree(source, target)
    raw = RawFile(os.path.join(source, "model.safetensors"))
    tensors = {name: raw.get_tensor(name) for name in raw.keys()}
    rng = np.random.default_rng(5)
    expected = {}
    for name, changes in [("model.embed_tokens.weight", {3: 0.5, 10: -0.25, 200: 0.001}), ("lm_head.weight", {7: 2.0})]:
        before = to_float64(tensors[name], "BF16")
        after = before.copy()
        for row, delta in changes.items():
            after[row, 1] += delta
            after[row, 2] -= delta / 2
        after = np.concatenate([after, rng.normal(0, 0.02, (2, before.shape[1]))])
        tensors[name] = from_float64(after, "BF16")
        stored = to_float64(tensors[name], "BF16")[: before.shape[0]]
        with np.errstate(invalid="ignore"):
            difference = np.abs(stored - before)
        same = (stored == before) | (np.isnan(stored) & np.isnan(before))
        difference[same] = 0
        rows = {int(i): float(difference[i].max()) for i in range(before.shape[0]) if difference[i].max() > 0}
        expected[name] = {"rows": rows, "compared": before.shape[0], "added": [before.shape[0], before.shape[0] + 1]}
    write_tensors(os.path.join(target, "model.safetensors"), tensors, {name: "BF16" for name in tensors})
    tokenizer = Tokenizer.from_file(os.path.join(target, "tokenizer.json"))
    tokenizer.add_special_tokens(["<|python_tag|>"])
    tokenizer.save(os.path.join(target, "tokenizer.json"))
    with open(os.path.join(target, "config.json")) as f:
        config = json.load(f)
    config["vocab_size"] += 2
    with open(os.path.join(target, "config.json"), "w") as f:
        json.dump(config, f)
    return expected


def add_token(source, target, token):
    tokenizer = Tokenizer.from_file(source)
    before = tokenizer.get_vocab_size()
    tokenizer.add_special_tokens([token])
    tokenizer.save(target)
    return {"id": tokenizer.token_to_id(token), "size_before": before}


def big(folder, rows, dim):
    from safetensors.numpy import save_file
    os.makedirs(folder, exist_ok=True)
    matrix = np.empty((rows, dim), np.float32)
    rng = np.random.default_rng(3)
    for start in range(0, rows, 8192):
        block = matrix[start:start + 8192]
        block[:] = rng.standard_normal(block.shape, dtype=np.float32) * 0.02
    matrix[10:20] = 0
    save_file({"model.embed_tokens.weight": matrix}, os.path.join(folder, "model.safetensors"))
    return {"bytes": matrix.nbytes}


def peak_rss(arguments):
    import resource
    import subprocess
    completed = subprocess.run(arguments, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return {"status": completed.returncode, "peak_rss": peak, "stderr": completed.stderr.decode()}


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "llama3":
        result = llama3(sys.argv[2])
    elif command == "gemma":
        result = gemma(sys.argv[2])
    elif command == "changed":
        result = changed(sys.argv[2], sys.argv[3])
    elif command == "add-token":
        result = add_token(sys.argv[2], sys.argv[3], sys.argv[4])
    elif command == "big":
        result = big(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif command == "peak-rss":
        result = peak_rss(sys.argv[2:])
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(result))
