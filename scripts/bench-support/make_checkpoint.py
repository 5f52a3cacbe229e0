"""Writes the synthetic benchmark checkpoint of scripts/bench, deterministically, with numpy only.

Layout (scale 1): model.embed_tokens.weight and lm_head.weight BF16 [128256, H], eight BF16 [H, H]
layer tensors and a BF16 [H] norm, with H = 4096 * scale rounded to a multiple of 64. The row
count stays 128256 at every scale so that the Llama-3 tokenizer (128256 ids) matches.

  make_checkpoint.py single OUT.safetensors --scale S
  make_checkpoint.py sharded OUT_FOLDER --scale S     (4 shards + model.safetensors.index.json)
  make_checkpoint.py tokens OUT.txt --count N          (N new made-up words, one per line)
"""
import argparse
import json
import os
import struct

import numpy as np

ROWS = 128256


def hidden_size(scale):
    return max(64, int(round(4096 * scale / 64)) * 64)


def tensor_specs(scale):
    hidden = hidden_size(scale)
    specs = [("model.embed_tokens.weight", [ROWS, hidden])]
    for layer in range(2):
        for part in ("q_proj", "k_proj", "v_proj", "o_proj"):
            specs.append((f"model.layers.{layer}.self_attn.{part}.weight", [hidden, hidden]))
    specs.append(("model.norm.weight", [hidden]))
    specs.append(("lm_head.weight", [ROWS, hidden]))
    return specs


def write_bf16_data(handle, name, shape, chunk_elements=1 << 24):
    """Normal(0, 0.02) values truncated to bf16, seeded by the tensor name."""
    seed = int.from_bytes(name.encode(), "little") % (1 << 63)
    rng = np.random.default_rng(seed)
    count = int(np.prod(shape))
    if name.endswith("norm.weight"):
        handle.write(np.full(count, 0x3F80, dtype="<u2").tobytes())  # 1.0
        return
    while count > 0:
        step = min(count, chunk_elements)
        values = rng.standard_normal(step, dtype=np.float32) * np.float32(0.02)
        handle.write((values.view(np.uint32) >> 16).astype("<u2").tobytes())
        count -= step


def write_file(path, specs):
    # The reference writer's layout: tensors sorted by name (all BF16), compact header, space padding.
    specs = sorted(specs, key=lambda spec: spec[0].encode())
    header = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, shape in specs:
        size = int(np.prod(shape)) * 2
        header[name] = {"dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(text)))
        handle.write(text)
        for name, shape in specs:
            write_bf16_data(handle, name, shape)
    return offset


def sharded(folder, scale):
    specs = tensor_specs(scale)
    by_name = dict(specs)
    layers = [name for name, _ in specs if ".layers." in name]
    shards = [
        ["model.embed_tokens.weight"] + layers[:2],
        layers[2:5],
        layers[5:] + ["model.norm.weight"],
        ["lm_head.weight"],
    ]
    os.makedirs(folder, exist_ok=True)
    weight_map = {}
    total = 0
    for index, names in enumerate(shards, start=1):
        file_name = f"model-{index:05d}-of-{len(shards):05d}.safetensors"
        total += write_file(os.path.join(folder, file_name), [(name, by_name[name]) for name in names])
        for name in names:
            weight_map[name] = file_name
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as handle:
        json.dump(index, handle, indent=2)
        handle.write("\n")
    config = {"architectures": ["LlamaForCausalLM"], "hidden_size": hidden_size(scale),
              "tie_word_embeddings": False, "vocab_size": ROWS}
    with open(os.path.join(folder, "config.json"), "w") as handle:
        json.dump(config, handle, indent=2)
        handle.write("\n")


def tokens(path, count):
    syllables = ["ka", "zor", "bli", "tep", "mun", "drav", "qui", "sel", "nox", "frup",
                 "gai", "lem", "vosh", "tir", "pluk", "sna", "wek", "jor", "hib", "cly"]
    rng = np.random.default_rng(5)
    seen = set()
    words = []
    while len(words) < count:
        word = "".join(syllables[i] for i in rng.integers(0, len(syllables), size=4))
        if word not in seen:
            seen.add(word)
            words.append(word)
    with open(path, "w") as handle:
        handle.write("\n".join(words) + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["single", "sharded", "tokens"])
    parser.add_argument("output")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--count", type=int, default=1000)
    arguments = parser.parse_args()
    if arguments.kind == "single":
        write_file(arguments.output, tensor_specs(arguments.scale))
    elif arguments.kind == "sharded":
        sharded(arguments.output, arguments.scale)
    else:
        tokens(arguments.output, arguments.count)


if __name__ == "__main__":
    main()
