"""Measurements for `scripts/bench --extend` (see scripts/bench-extend).

  extend_measure.py corpus OUT_TRAIN OUT_HELDOUT [LANGUAGE]   Debian's fortunes in LANGUAGE (ru,
      the default: fortunes-ru; de: fortunes-de), each fortune one line, shuffled with seed 0: 90%
      to train, 10% held out
  extend_measure.py train CORPUS MERGES            HF tokenizers' Rust BpeTrainer trained from
      scratch (byte-level, like SmolLM2) to 256 + MERGES tokens; prints {"seconds", "merges"}
  extend_measure.py compression HELDOUT DIR...     bytes per token of the held-out lines under each
      model folder's tokenizer.json; prints {DIR: {"tokens", "bytes", "bytes_per_token"}}
  extend_measure.py bpb HELDOUT LINES DIR...       zero-shot bits per byte of the first LINES
      held-out lines under each model (transformers, CPU): each line after `<|endoftext|>`, summed
      -log2 p of all its tokens over all its UTF-8 bytes
"""

import glob
import json
import math
import random
import sys
import time


def corpus(train_path, heldout_path, language="ru"):
    entries = []
    for path in sorted(glob.glob(f"/usr/share/games/fortunes/{language}/*.u8")):
        if path.endswith("/asciiart.u8"):
            continue  # pictures, not text
        text = open(path, encoding="utf-8", errors="replace").read()
        for entry in text.split("\n%\n"):
            line = " ".join(part.strip() for part in entry.split("\n") if part.strip())
            if line and "\ufffd" not in line:
                entries.append(line)
    random.Random(0).shuffle(entries)
    held = len(entries) // 10
    open(heldout_path, "w").write("\n".join(entries[:held]) + "\n")
    open(train_path, "w").write("\n".join(entries[held:]) + "\n")


def train(corpus_path, merges):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=256 + merges, min_frequency=2, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    start = time.perf_counter()
    tokenizer.train([corpus_path], trainer)
    seconds = time.perf_counter() - start
    learned = len(json.loads(tokenizer.to_str())["model"]["merges"])
    print(json.dumps({"seconds": seconds, "merges": learned}))


def compression(heldout, folders):
    from tokenizers import Tokenizer

    lines = [line for line in open(heldout, encoding="utf-8").read().split("\n") if line]
    result = {}
    for folder in folders:
        tokenizer = Tokenizer.from_file(folder + "/tokenizer.json")
        tokens = sum(len(e.ids) for e in tokenizer.encode_batch(lines, add_special_tokens=False))
        size = sum(len(line.encode()) for line in lines)
        result[folder] = {"tokens": tokens, "bytes": size, "bytes_per_token": size / tokens}
    print(json.dumps(result))


def bits_per_byte(heldout, count, folders):
    """Zero-shot bits per byte of the first `count` held-out lines under each model: every line is
    scored whole after one fixed context token that every tokenizer encodes alike (the document
    separator `<|endoftext|>`, which SmolLM2 was trained with between documents), so every byte of
    every line is predicted and the bits are divided by all of them (a longer first token cannot
    hide bytes, as it does when each line's first token goes unscored)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_grad_enabled(False)
    lines = [line for line in open(heldout, encoding="utf-8").read().split("\n") if line][:count]
    size = sum(len(line.encode()) for line in lines)
    result = {}
    for folder in folders:
        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
        context = tokenizer.convert_tokens_to_ids("<|endoftext|>")
        sequences = [[context] + tokenizer(line, add_special_tokens=False)["input_ids"] for line in lines]
        bits = 0.0
        # Batches of similar lengths, padded on the right (the padding is masked and not scored).
        order = sorted(range(len(sequences)), key=lambda index: len(sequences[index]))
        for start in range(0, len(order), 16):
            batch = [sequences[index] for index in order[start : start + 16]]
            width = max(len(ids) for ids in batch)
            ids = torch.zeros((len(batch), width), dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, sequence in enumerate(batch):
                ids[row, : len(sequence)] = torch.tensor(sequence)
                mask[row, : len(sequence)] = 1
            logp = torch.log_softmax(model(input_ids=ids, attention_mask=mask).logits.double(), dim=-1)
            for row, sequence in enumerate(batch):
                scored = logp[row, torch.arange(len(sequence) - 1), torch.tensor(sequence[1:])]
                bits -= scored.sum().item() / math.log(2)
        tokens = sum(len(sequence) - 1 for sequence in sequences)
        result[folder] = {"bits_per_byte": bits / size, "bytes": size, "tokens": tokens}
    print(json.dumps(result))


command = sys.argv[1]
if command == "corpus":
    corpus(*sys.argv[2:5])
elif command == "train":
    train(sys.argv[2], int(sys.argv[3]))
elif command == "compression":
    compression(sys.argv[2], sys.argv[3:])
elif command == "bpb":
    bits_per_byte(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
else:
    sys.exit("unknown command " + command)
