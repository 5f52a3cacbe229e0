"""The usual Python way of adding rows, the baseline of scripts/bench: load the whole checkpoint,
concatenate COUNT mean rows onto the embedding and the head, save it.

  python_resize.py IN.safetensors OUT.safetensors --count 1000 [--numpy]

With torch (the default): safetensors.torch.load_file, torch.cat, save_file.
With --numpy (when torch is not installed): the same steps on numpy arrays; numpy has no bfloat16,
so the BF16 tensors are read as uint16 bit patterns (the file is read whole, as load_file does),
the mean goes through float32 and is rounded back to bf16 bits, and the file is written with
safetensors.numpy.save_file: the same bytes, labelled U16 instead of BF16.
"""
import argparse
import json
import struct

EMBEDDING = "model.embed_tokens.weight"
HEAD = "lm_head.weight"


def with_torch(source, target, count):
    import torch
    from safetensors.torch import load_file, save_file

    tensors = load_file(source)
    for name in (EMBEDDING, HEAD):
        weight = tensors[name]
        mean = weight.float().mean(dim=0, keepdim=True).to(weight.dtype)
        tensors[name] = torch.cat([weight, mean.expand(count, -1)], dim=0)
    save_file(tensors, target, metadata={"format": "pt"})


def with_numpy(source, target, count):
    import numpy as np
    from safetensors.numpy import save_file

    with open(source, "rb") as handle:
        length = struct.unpack("<Q", handle.read(8))[0]
        header = json.loads(handle.read(length))
        data = handle.read()
    tensors = {}
    dtypes = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        assert entry["dtype"] in ("BF16", "F16")
        dtypes[name] = entry["dtype"]
        tensors[name] = np.frombuffer(data, dtype="<u2", count=(end - begin) // 2, offset=begin).reshape(entry["shape"])
    for name in (EMBEDDING, HEAD):
        bits = tensors[name]
        values = (bits.astype(np.uint32) << 16).view(np.float32)
        mean = values.mean(axis=0, dtype=np.float32)
        mean_bits = mean.view(np.uint32)
        rounded = ((mean_bits + 0x7FFF + ((mean_bits >> 16) & 1)) >> 16).astype(np.uint16)
        tensors[name] = np.concatenate([bits, np.broadcast_to(rounded, (count, bits.shape[1]))], axis=0)
    save_file(tensors, target, metadata={"format": "pt"})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--numpy", action="store_true")
    arguments = parser.parse_args()
    if arguments.numpy:
        with_numpy(arguments.source, arguments.target, arguments.count)
    else:
        with_torch(arguments.source, arguments.target, arguments.count)


if __name__ == "__main__":
    main()
