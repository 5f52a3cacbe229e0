"""Writes the data of `scripts/bench --trim`, deterministically, with numpy only.

  make_trim_data.py gemma OUT_FOLDER TOKENIZER.json
      a Gemma-3-270M-shaped model folder: model.embed_tokens.weight BF16 [262144, 640] (tied, as
      Gemma's), two layers' worth of other BF16 tensors, config.json, and the given tokenizer.json
      (the Llama-3 one: its 128,256 ids get rows; the rows past them belong to no token, as the
      unused rows of a padded vocabulary, and a trim drops them).
  make_trim_data.py corpus OUT.txt TEXTS.json --megabytes 10
      a corpus of about 10 MB: the texts of Tests/TokenizationTests/Resources/trim-corpus.json, one
      per line, shuffled and with their words recombined, repeated until the size is reached.
"""
import argparse
import json
import os
import random
import shutil
import struct

import numpy as np


def write_safetensors(path, tensors):
    header, offset = {}, 0
    for name, shape, _ in tensors:
        size = int(np.prod(shape)) * 2
        header[name] = {"dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(text)))
        handle.write(text)
        for name, shape, seed in tensors:
            rng = np.random.default_rng(seed)
            count = int(np.prod(shape))
            for start in range(0, count, 1 << 24):
                values = rng.normal(0, 0.02, min(1 << 24, count - start)).astype(np.float32)
                handle.write((values.view(np.uint32) >> 16).astype(np.uint16).tobytes())


def gemma(folder, tokenizer):
    os.makedirs(folder, exist_ok=True)
    hidden, rows = 640, 262144
    tensors = [("model.embed_tokens.weight", [rows, hidden], 1)]
    for layer in range(2):
        for index, part in enumerate(("q_proj", "k_proj", "v_proj", "o_proj")):
            tensors.append((f"model.layers.{layer}.self_attn.{part}.weight", [hidden, hidden], 10 + 4 * layer + index))
    tensors.append(("model.norm.weight", [hidden], 99))
    write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
    shutil.copyfile(tokenizer, os.path.join(folder, "tokenizer.json"))
    with open(os.path.join(folder, "config.json"), "w") as handle:
        json.dump({"architectures": ["Gemma3ForCausalLM"], "vocab_size": rows, "hidden_size": hidden,
                   "tie_word_embeddings": True, "bos_token_id": 128000, "eos_token_id": 128001}, handle)


def corpus(path, texts_file, megabytes):
    with open(texts_file, encoding="utf-8") as handle:
        texts = [t.replace("\n", " ").replace("\r", " ") for t in json.load(handle)["texts"]]
    words = [w for t in texts for w in t.split()]
    rng = random.Random(7)
    size, target = 0, megabytes * 1_000_000
    with open(path, "w", encoding="utf-8") as handle:
        while size < target:
            line = rng.choice(texts) if rng.random() < 0.5 else " ".join(rng.choice(words) for _ in range(rng.randint(5, 40)))
            handle.write(line + "\n")
            size += len(line.encode()) + 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["gemma", "corpus"])
    parser.add_argument("out")
    parser.add_argument("source")
    parser.add_argument("--megabytes", type=int, default=10)
    arguments = parser.parse_args()
    if arguments.kind == "gemma":
        gemma(arguments.out, arguments.source)
    else:
        corpus(arguments.out, arguments.source, arguments.megabytes)


if __name__ == "__main__":
    main()
