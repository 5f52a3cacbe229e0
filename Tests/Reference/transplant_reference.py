"""Checks `embsurgery transplant` with transformers, torch, tokenizers and safetensors; prints a
one-line JSON summary and exits 1 with the failures (also on stderr) when anything is wrong.

    python transplant_reference.py permute MODEL_DIR DONOR_DIR SEED
        Writes DONOR_DIR: MODEL_DIR's tokenizer files and configs with the ids of the model's
        regular tokens (not the added ones) permuted (seeded); a tokenizer.model, which would
        disagree, is left out. Prints {"permutation": [new id of each old id]}.
    python transplant_reference.py check-permuted MODEL_DIR OUTPUT_DIR DONOR_DIR PERMUTATION_JSON
        The output's embedding (and head, head bias) rows are the input's moved to their new ids,
        bit for bit; the output's tokenizer (transformers) encodes texts to the input's ids
        mapped through the permutation; the output's logits at the new ids equal the input's
        (within 1e-5, f32 CPU); transformers loads it with no warning.
    python transplant_reference.py mistral-v3 SPM_MODEL OUT_DIR
        Writes OUT_DIR: a tokenizer.json made from Mistral's v3 SentencePiece model (mistral-common's
        mistral_instruct_tokenizer_240323.model.v3) as transformers' Llama converter makes one (BPE
        with byte fallback, control pieces as special added tokens), checked to encode like
        sentencepiece, with a tokenizer_config.json naming <s>, </s> and <unk>.
    python transplant_reference.py check-omp BASE_DIR OUTPUT_DIR DONOR_DIR REPORT_JSON [SAMPLE]
        --init omp: each approximated row (embedding, untied head) is the plain float64 pursuit of
        omp_reference.py over the donor's rows of the matched tokens (donor head rows for the head;
        a tied donor's embedding for both), its coefficients applied to the base rows of those
        tokens, within 1e-4 relative (4e-3 for a BF16 output, 1e-3 for F16: the rounding of the
        row itself); the choices are the exact rule's, so only targets where two atoms tie within
        1e-8 are left out (at most a quarter of them); every matched row is the base row bit for
        bit. SAMPLE: check only that many approximated tokens, evenly spread (a big model's
        pursuits are slow in numpy).
    python transplant_reference.py widen MODEL_DIR OUT_DIR WIDTH
        Writes OUT_DIR: MODEL_DIR with its embedding and untied head replaced by seeded normal
        float32 matrices of WIDTH columns (for the memory test). Prints {"matrix_bytes": ...}.
    python transplant_reference.py check-pair BASE_DIR OUTPUT_DIR DONOR_DIR REPORT_JSON
        A real pair: the output's tokenizer (transformers) encodes like the donor's; every row
        the report's id_map names is the base row bit for bit (embedding, untied head); config.json's
        vocab_size is the row count and its bos/eos/pad/unk ids are the donor's; transformers
        loads it with no warning and generates.
"""
import json
import os
import random
import shutil
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trim_model_reference import Tensors, infer_kind, load_everything, read_json, vocabulary_roles  # noqa: E402

TOLERANCE = 1e-5
TEXTS = ["Hello world, this is a test.", "The quick brown fox jumps over 13 lazy dogs!",
         "naïve café — ünïcödé", "  spaces\tand\nnewlines  ", "def f(x):\n    return x * 2\n"]
TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model",
                   "vocab.txt", "chat_template.jinja", "added_tokens.json"]


def permute(model, donor, seed):
    os.makedirs(donor, exist_ok=True)
    document = read_json(os.path.join(model, "tokenizer.json"))
    added = {a["id"] for a in document.get("added_tokens") or []}
    vocab = document["model"]["vocab"]
    regular = sorted(i for i in set(vocab.values()) if i not in added)
    shuffled = regular[:]
    random.Random(seed).shuffle(shuffled)
    size = max(list(vocab.values()) + list(added)) + 1
    new_of = list(range(size))
    for old, new in zip(regular, shuffled):
        new_of[old] = new
    document["model"]["vocab"] = {token: new_of[i] for token, i in vocab.items()}
    with open(os.path.join(donor, "tokenizer.json"), "w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False)
    for name in os.listdir(model):
        if name in ("tokenizer.json", "tokenizer.model") or name.endswith(".safetensors"):
            continue
        if name == "vocab.txt":
            lines = open(os.path.join(model, name), encoding="utf-8").read().split("\n")
            tokens = [t for t in lines if t != ""]
            out = [""] * len(tokens)
            for old, token in enumerate(tokens):
                out[new_of[old]] = token
            open(os.path.join(donor, name), "w", encoding="utf-8").write("\n".join(out) + "\n")
            continue
        shutil.copy(os.path.join(model, name), os.path.join(donor, name))
    print(json.dumps({"permutation": new_of}))


def check_permuted(model, output, donor, permutation_path):
    failures = []
    new_of = json.load(open(permutation_path))["permutation"]
    before, after = Tensors(model), Tensors(output)
    embedding, head, bias, rows = vocabulary_roles(model)
    for name in (embedding, head, bias):
        if name is None:
            continue
        a, b = before.get(name), after.get(name)
        axis = a.dim() - 1 if name == bias else 0
        for old, new in enumerate(new_of):
            if not torch.equal(a.select(axis, old), b.select(axis, new)):
                failures.append(f"{name}: row {old} is not at {new}")
                break
        for row in range(len(new_of), a.shape[axis]):
            if not torch.equal(a.select(axis, row), b.select(axis, row)):
                failures.append(f"{name}: padding row {row} changed")
                break
    for name in before.names():
        if name not in (embedding, head, bias) and not torch.equal(before.get(name), after.get(name)):
            failures.append(f"{name} changed")
    kind = infer_kind(model)
    original, _ = load_everything(model, kind)
    transplanted, messages = load_everything(output, kind)
    failures += [f"load: {m}" for m in messages]
    from transformers import AutoTokenizer
    tokenizer_in, tokenizer_out = AutoTokenizer.from_pretrained(model), AutoTokenizer.from_pretrained(output)
    worst = 0.0
    for text in TEXTS:
        ids = tokenizer_in(text)["input_ids"]
        moved = [new_of[i] if i < len(new_of) else i for i in ids]
        got = tokenizer_out(text)["input_ids"]
        if got != moved:
            failures.append(f"tokenizer: {text!r} encodes to {got}, not {moved}")
            continue
        with torch.no_grad():
            left = original(torch.tensor([ids])).logits[0]
            right = transplanted(torch.tensor([moved])).logits[0]
        index = torch.tensor(new_of)
        difference = (right[:, index] - left[:, : len(new_of)]).abs().max().item()
        worst = max(worst, difference)
    if worst > TOLERANCE:
        failures.append(f"logits differ by {worst}")
    return failures, {"max_logit_difference": worst}


def mistral_v3(model_path, out):
    import sentencepiece as spm
    from tokenizers import AddedToken, Tokenizer, decoders, normalizers
    from tokenizers.models import BPE
    from transformers.convert_slow_tokenizer import import_protobuf
    from transformers.tokenization_utils_base import generate_merges

    proto = import_protobuf().ModelProto()
    proto.ParseFromString(open(model_path, "rb").read())
    vocab = {piece.piece: i for i, piece in enumerate(proto.pieces)}
    scores = {piece.piece: piece.score for piece in proto.pieces}
    tokenizer = Tokenizer(BPE(vocab, generate_merges(vocab, scores), unk_token="<unk>", fuse_unk=True, byte_fallback=True,
                              dropout=None))
    tokenizer.normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")])
    tokenizer.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(),
                                           decoders.Strip(content=" ", left=1)])
    control = [piece.piece for piece in proto.pieces if piece.type in (2, 3)]  # CONTROL, UNKNOWN
    tokenizer.add_special_tokens([AddedToken(text, normalized=False, special=True) for text in control])
    os.makedirs(out, exist_ok=True)
    tokenizer.save(os.path.join(out, "tokenizer.json"))
    with open(os.path.join(out, "tokenizer_config.json"), "w") as handle:
        json.dump({"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
                   "tokenizer_class": "PreTrainedTokenizerFast"}, handle)
    processor = spm.SentencePieceProcessor(model_file=model_path)
    for text in TEXTS + ["1234567 + 89 = ?", "Ça va? 日本語"]:
        if tokenizer.encode(text, add_special_tokens=False).ids != processor.encode(text):
            raise SystemExit(f"the converted tokenizer encodes {text!r} otherwise than sentencepiece")
    print(json.dumps({"vocab_size": tokenizer.get_vocab_size(), "special": len(control)}))


def check_omp(base, output, donor, report_path, sample=None):
    import numpy as np
    from omp_reference import pursue
    failures = []
    report = json.load(open(report_path))
    before, after, donors = Tensors(base), Tensors(output), Tensors(donor)
    embedding, head, _, _ = vocabulary_roles(base)
    donor_embedding, donor_head, _, _ = vocabulary_roles(donor)
    id_map = report["id_map"]
    donor_rows = donors.info[donor_embedding][1][0]
    anchors = [d for d, b in enumerate(id_map) if b is not None and d < donor_rows]
    approximated = sorted(entry["id"] for entry in report["worst"])
    if sample is not None and int(sample) < len(approximated):
        step = len(approximated) / int(sample)
        approximated = [approximated[int(i * step)] for i in range(int(sample))]
    checked = skipped = 0
    worst = 0.0
    for name, donor_name in [(embedding, donor_embedding)] + ([(head, donor_head or donor_embedding)] if head else []):
        rows = donors.get(donor_name).double().numpy()
        base_rows = before.get(name).double().numpy()
        output_rows = after.get(name)
        tolerance = {torch.bfloat16: 4e-3, torch.float16: 1e-3}.get(output_rows.dtype, 1e-4)
        out = output_rows.double().numpy()
        if not np.array_equal(out[anchors], base_rows[[id_map[a] for a in anchors]]):
            failures.append(f"{name}: matched rows are not the base rows")
        dictionary = rows[anchors]
        for target in approximated:
            atoms, coefficients, _, gaps = pursue(dictionary, rows[target], report["k"])
            if gaps and min(gaps) < 1e-8:
                skipped += 1
                continue
            want = sum(c * base_rows[id_map[anchors[a]]] for a, c in zip(atoms, coefficients))
            error = np.linalg.norm(out[target] - want) / max(np.linalg.norm(want), 1e-30)
            worst = max(worst, error)
            checked += 1
            if error > tolerance:
                failures.append(f"{name} row {target}: {error} from the reference (relative)")
    if checked == 0 or skipped > checked // 3:
        failures.append(f"only {checked} rows checked ({skipped} near ties)")
    return failures, {"checked": checked, "near_ties": skipped, "worst_relative_error": worst}


def widen(model, out, width):
    """A copy of `model` whose embedding and head have `width` float32 columns (seeded normal
    values): a matrix much larger than a transplant's working memory, the rest unchanged."""
    import numpy as np
    from safetensors.numpy import load_file, save_file
    shutil.copytree(model, out)
    tensors = load_file(os.path.join(model, "model.safetensors"))
    embedding, head, _, _ = vocabulary_roles(model)
    rng = np.random.default_rng(5)
    for name in filter(None, [embedding, head]):
        rows = tensors[name].shape[0]
        tensors[name] = rng.standard_normal((rows, int(width)), dtype=np.float32)
    save_file(tensors, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
    print(json.dumps({"matrix_bytes": tensors[embedding].nbytes}))


def donor_ids(donor):
    """The donor's special-token ids by key: its config.json, else the ids of its
    tokenizer_config.json's tokens."""
    config = read_json(os.path.join(donor, "config.json"), {})
    ids = {key: config[key] for key in ("bos_token_id", "eos_token_id", "pad_token_id", "unk_token_id")
           if key in config}
    from tokenizers import Tokenizer
    tokenizer = Tokenizer.from_file(os.path.join(donor, "tokenizer.json"))
    tokenizer_config = read_json(os.path.join(donor, "tokenizer_config.json"), {})
    for role in ("bos", "eos", "pad", "unk"):
        value = tokenizer_config.get(f"{role}_token")
        if isinstance(value, dict):
            value = value.get("content")
        if f"{role}_token_id" not in ids:
            ids[f"{role}_token_id"] = tokenizer.token_to_id(value) if isinstance(value, str) else None
    return ids


def check_pair(base, output, donor, report_path):
    failures = []
    report = json.load(open(report_path))
    from transformers import AutoTokenizer
    donor_tokenizer, output_tokenizer = AutoTokenizer.from_pretrained(donor), AutoTokenizer.from_pretrained(output)
    for text in TEXTS:
        if donor_tokenizer(text)["input_ids"] != output_tokenizer(text)["input_ids"]:
            failures.append(f"tokenizer: {text!r} encodes otherwise than with the donor's")
    before, after = Tensors(base), Tensors(output)
    embedding, head, _, _ = vocabulary_roles(base)
    matched = [(d, b) for d, b in enumerate(report["id_map"]) if b is not None]
    for name in (embedding, head):
        if name is None:
            continue
        a, b = before.get(name), after.get(name)
        if b.shape[0] != report["rows_after"]:
            failures.append(f"{name}: {b.shape[0]} rows, not {report['rows_after']}")
        donors = torch.tensor([d for d, _ in matched])
        bases = torch.tensor([x for _, x in matched])
        if not torch.equal(b[donors], a[bases]):
            failures.append(f"{name}: matched rows are not the base rows")
    config = read_json(os.path.join(output, "config.json"))
    rows = (config.get("text_config") or config).get("vocab_size")
    if rows != report["rows_after"]:
        failures.append(f"config: vocab_size {rows}, not {report['rows_after']}")
    base_config = read_json(os.path.join(base, "config.json"))
    for key, value in donor_ids(donor).items():
        if key in base_config and config.get(key) != value:
            failures.append(f"config: {key} is {config.get(key)}, not the donor's {value}")
    model, messages = load_everything(output, infer_kind(output))
    failures += [f"load: {m}" for m in messages]
    ids = output_tokenizer("The capital of France is", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        generated = model.generate(ids, max_new_tokens=5, do_sample=False)
    text = output_tokenizer.decode(generated[0][ids.shape[1]:])
    return failures, {"matched_rows": len(matched), "generated": text}


def main():
    command = sys.argv[1]
    if command == "mistral-v3":
        mistral_v3(sys.argv[2], sys.argv[3])
        return
    if command == "widen":
        widen(sys.argv[2], sys.argv[3], sys.argv[4])
        return
    if command == "permute":
        permute(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    if command == "check-permuted":
        failures, summary = check_permuted(*sys.argv[2:6])
    elif command == "check-omp":
        failures, summary = check_omp(*sys.argv[2:7])
    elif command == "check-pair":
        failures, summary = check_pair(*sys.argv[2:6])
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(dict(summary, failures=failures)))
    if failures:
        print("\n".join(failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
