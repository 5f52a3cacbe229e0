"""Writes the data of `scripts/bench --trim`, deterministically, with numpy only.

  make_trim_data.py gemma OUT_FOLDER TOKENIZER.json
      a Gemma-3-270M-shaped model folder: model.embed_tokens.weight BF16 [262144, 640] (tied, as
      Gemma's), its 18 layers (attention with 4 query heads and 1 key-value head of 256, MLP of
      2048, the norms: 100M parameters), config.json, and the given tokenizer.json
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

from make_checkpoint import write_file  # the same writer and seeded values as the resize benchmark


def gemma(folder, tokenizer):
    os.makedirs(folder, exist_ok=True)
    hidden, rows = 640, 262144
    tensors = [("model.embed_tokens.weight", [rows, hidden])]
    heads, head_dim, intermediate = 4, 256, 2048
    for layer in range(18):
        prefix = f"model.layers.{layer}"
        tensors += [
            (f"{prefix}.self_attn.q_proj.weight", [heads * head_dim, hidden]),
            (f"{prefix}.self_attn.k_proj.weight", [head_dim, hidden]),
            (f"{prefix}.self_attn.v_proj.weight", [head_dim, hidden]),
            (f"{prefix}.self_attn.o_proj.weight", [hidden, heads * head_dim]),
            (f"{prefix}.self_attn.q_norm.weight", [head_dim]),
            (f"{prefix}.self_attn.k_norm.weight", [head_dim]),
            (f"{prefix}.mlp.gate_proj.weight", [intermediate, hidden]),
            (f"{prefix}.mlp.up_proj.weight", [intermediate, hidden]),
            (f"{prefix}.mlp.down_proj.weight", [hidden, intermediate]),
        ]
        for norm in ("input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
                     "post_feedforward_layernorm"):
            tensors.append((f"{prefix}.{norm}.weight", [hidden]))
    tensors.append(("model.norm.weight", [hidden]))
    write_file(os.path.join(folder, "model.safetensors"), tensors)
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
