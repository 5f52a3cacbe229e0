"""Measurements for `scripts/bench --extend` (see scripts/bench-extend).

  extend_measure.py corpus OUT_TRAIN OUT_HELDOUT   the Russian corpus (Debian's fortunes-ru, each
      fortune one line, shuffled with seed 0): 90% to train, 10% held out
  extend_measure.py train CORPUS MERGES            HF tokenizers' Rust BpeTrainer trained from
      scratch (byte-level, like SmolLM2) to 256 + MERGES tokens; prints {"seconds", "merges"}
  extend_measure.py compression HELDOUT DIR...     bytes per token of the held-out lines under each
      model folder's tokenizer.json; prints {DIR: {"tokens", "bytes", "bytes_per_token"}}
  extend_measure.py bpb HELDOUT LINES DIR...       zero-shot bits per byte of the first LINES
      held-out lines under each model (transformers, CPU): summed -log2 p of each line's tokens
      after the first, over the UTF-8 bytes of those tokens
"""

import glob
import json
import math
import random
import sys
import time


def corpus(train_path, heldout_path):
    entries = []
    for path in sorted(glob.glob("/usr/share/games/fortunes/ru/*.u8")):
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
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_grad_enabled(False)
    lines = [line for line in open(heldout, encoding="utf-8").read().split("\n") if line][:count]
    result = {}
    for folder in folders:
        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
        bits = 0.0
        size = 0
        tokens = 0
        for line in lines:
            ids = tokenizer(line, add_special_tokens=False)["input_ids"]
            if len(ids) < 2:
                continue
            logits = model(torch.tensor([ids])).logits[0, :-1]
            logp = torch.log_softmax(logits.double(), dim=-1)
            target = torch.tensor(ids[1:])
            bits -= logp[torch.arange(len(ids) - 1), target].sum().item() / math.log(2)
            # The bytes predicted: every token's but the first.
            size += len(line.encode()) - len(tokenizer.decode(ids[:1]).encode())
            tokens += len(ids) - 1
        result[folder] = {"bits_per_byte": bits / size, "bytes": size, "tokens": tokens}
    print(json.dumps(result))


command = sys.argv[1]
if command == "corpus":
    corpus(sys.argv[2], sys.argv[3])
elif command == "train":
    train(sys.argv[2], int(sys.argv[3]))
elif command == "compression":
    compression(sys.argv[2], sys.argv[3:])
elif command == "bpb":
    bits_per_byte(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
else:
    sys.exit("unknown command " + command)
