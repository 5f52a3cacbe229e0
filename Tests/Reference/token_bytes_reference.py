"""What each token of a tokenizer.json stands for, computed independently of the Swift code.

Usage: token_bytes_reference.py TOKENIZER_JSON
Prints one line per id that has a token: "id<TAB>hex bytes<TAB>position<TAB>fallback", where
position is anywhere, word_start or continuation and fallback is 1 for a byte-fallback piece.
The byte-level alphabet is GPT-2's bytes_to_unicode; Metaspace/Replace map U+2581 to a space;
WordPiece's prefix marks continuations; added tokens are their raw content. The tokenizer is also
loaded with `tokenizers`, and for byte-level files every single-token decode that is valid UTF-8
must equal the bytes read here.
"""
import json
import re
import sys

from tokenizers import Tokenizer


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + list(range(ord("\xae"), ord("\xff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def components(value, key):
    if not value:
        return []
    if value.get("type") == "Sequence":
        out = []
        for step in value.get(key, []):
            out += components(step, key)
        return out
    return [value]


def main():
    path = sys.argv[1]
    data = json.load(open(path, encoding="utf-8"))
    model = data["model"]
    decoders = components(data.get("decoder"), "decoders")
    byte_level = any(d["type"] == "ByteLevel" for d in decoders)
    replacements = {}
    for d in decoders:
        if d["type"] == "Metaspace":
            replacements[d.get("replacement", "\u2581")] = " "
        if d["type"] == "Replace" and "String" in d["pattern"] and len(d["pattern"]["String"]) == 1:
            replacements[d["pattern"]["String"]] = d["content"]
    if not decoders:
        for p in components(data.get("pre_tokenizer"), "pretokenizers"):
            byte_level |= p["type"] == "ByteLevel"
            if p["type"] == "Metaspace":
                replacements[p.get("replacement", "\u2581")] = " "
    fallback = bool(model.get("byte_fallback")) or any(d["type"] == "ByteFallback" for d in decoders)
    prefix = None
    if model["type"] == "WordPiece":
        prefix = model.get("continuing_subword_prefix", "##")
    alphabet = bytes_to_unicode()
    tokens = {}
    vocab = model["vocab"]
    items = [(piece[0], i) for i, piece in enumerate(vocab)] if isinstance(vocab, list) else list(vocab.items())
    for text, i in items:
        tokens.setdefault(i, text)
    added = {a["id"]: a["content"] for a in data.get("added_tokens") or []}
    tok = Tokenizer.from_file(path)
    for i in sorted(set(tokens) | set(added)):
        position = "anywhere" if prefix is None else "word_start"
        is_fallback = 0
        if i in added:
            raw = added[i].encode("utf-8")
        else:
            text = tokens[i]
            m = re.fullmatch(r"<0x([0-9A-Fa-f]{2})>", text)
            if fallback and m:
                raw = bytes([int(m.group(1), 16)])
                is_fallback = 1
            else:
                if prefix and text.startswith(prefix) and len(text) > len(prefix):
                    text = text[len(prefix):]
                    position = "continuation"
                out = bytearray()
                for ch in text:
                    if byte_level and ch in alphabet:
                        out.append(alphabet[ch])
                    else:
                        out += replacements.get(ch, ch).encode("utf-8")
                raw = bytes(out)
                if byte_level and i not in added:
                    try:
                        decoded = raw.decode("utf-8")
                    except UnicodeDecodeError:
                        decoded = None
                    if decoded is not None:
                        assert tok.decode([i], skip_special_tokens=False) == decoded, (i, tokens[i])
        print(f"{i}\t{raw.hex()}\t{position}\t{is_fallback}")


main()
