"""A straightforward reference of `embsurgery extend`'s merge learning, written from the rule alone.

Added tokens matched in the text are words of one token that never merges.

Request (JSON file, argv[1]): {"tokenizer": PATH, "corpus": [texts], "merges": N, "min_count": C}.
Prints {"merges": [[left id, right id, token id, count], ...] in file order, "tokens_after": n}.

The rule: words are the pre-tokenized pieces HF `tokenizers` encodes (tokens grouped by word id),
each kept with its count and its current ids. Each step recounts every adjacent pair inside every
word (over words x counts), skips pairs that may not merge, and takes the largest count, ties to the
smallest (left id, right id); stops when that count is below C. The pair's concatenation is an
existing token or a new one (next id). In a SentencePiece-style tokenizer (no ByteLevel
pre-tokenizer) every other split of a new token into two tokens gets a merge right after it, and a
new token that completes an earlier new token as x + new or new + y gets a merge in that earlier
token's group. Words are then re-encoded by plain BPE from their original ids: the lowest-ranked
applicable merge, leftmost first, until none applies (ignore_merges: a word that is a token is it).
"""

import json
import sys

from tokenizers import Tokenizer

request = json.load(open(sys.argv[1]))
data = json.load(open(request["tokenizer"]))
tokenizer = Tokenizer.from_str(json.dumps(data))
model = data["model"]
vocab = dict(model["vocab"])
text_of = {i: t for t, i in vocab.items()}
raw_merges = model["merges"]
as_strings = bool(raw_merges) and isinstance(raw_merges[0], str)
table = {}
for rank, merge in enumerate(raw_merges):
    a, b = merge.split(" ", 1) if isinstance(merge, str) else merge
    table[(vocab[a], vocab[b])] = (rank, vocab[a + b])
old_count = len(raw_merges)
added = {t["content"]: t["id"] for t in data["added_tokens"]}
for content, token_id in added.items():
    text_of.setdefault(token_id, content)
next_id = max(list(vocab.values()) + list(added.values())) + 1
first_new = next_id
ignore_merges = model.get("ignore_merges", False)


def has_byte_level(step):
    if not step:
        return False
    if step["type"] == "ByteLevel":
        return True
    return step["type"] == "Sequence" and any(has_byte_level(s) for s in step["pretokenizers"])


every_split = not has_byte_level(data.get("pre_tokenizer"))
unmergeable = set(added.values()) | {vocab[c] for c in added if c in vocab}
if model.get("unk_token") in vocab:
    unmergeable.add(vocab[model["unk_token"]])
if model.get("byte_fallback"):
    unmergeable |= {vocab["<0x%02X>" % b] for b in range(256) if "<0x%02X>" % b in vocab}


def mergeable(i):
    return i not in unmergeable and not (as_strings and " " in text_of[i])


def leading_metaspace_only(text):
    stripped = text.lstrip("\u2581")
    return "\u2581" not in stripped


def merged_text(a, b):
    if not (mergeable(a) and mergeable(b)):
        return None
    text = text_of[a] + text_of[b]
    if text in added or (every_split and not leading_metaspace_only(text)):
        return None
    if text in vocab and not mergeable(vocab[text]):
        return None
    return text


# The words: (original ids) -> count, with the word's string for ignore_merges.
words = {}
strings = {}
for text in request["corpus"]:
    encoding = tokenizer.encode(text, add_special_tokens=False)
    groups = []
    last = object()
    for token_id, word in zip(encoding.ids, encoding.word_ids):
        if word != last or not groups:
            groups.append([])
        groups[-1].append(token_id)
        last = word
    for group in groups:
        key = tuple(group)
        words[key] = words.get(key, 0) + 1
for key in words:
    strings[key] = "".join(text_of[i] for i in key)

current = {key: list(key) for key in words}
merges = []  # [rank, left, right, token, count]
group_sizes = []
group_of_new = {}
STRIDE = 64


step_pairs = set()


def append(left, right, token, group, count):
    step_pairs.add((left, right))
    rank = old_count + group * STRIDE + group_sizes[group]
    group_sizes[group] += 1
    table[(left, right)] = (rank, token)
    merges.append([rank, left, right, token, count])


def encode(key):
    if ignore_merges and strings[key] in vocab:
        return [vocab[strings[key]]]
    symbols = list(key)
    while True:
        best = None
        for position in range(len(symbols) - 1):
            found = table.get((symbols[position], symbols[position + 1]))
            if found and (best is None or found[0] < best[0]):
                best = (found[0], position, found[1])
        if best is None:
            return symbols
        _, position, token = best
        symbols[position : position + 2] = [token]


learned = 0
while learned < request["merges"]:
    counts = {}
    for key, symbols in current.items():
        for a, b in zip(symbols, symbols[1:]):
            counts[(a, b)] = counts.get((a, b), 0) + words[key]
    candidates = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    chosen = None
    for (a, b), count in candidates:
        if count < request["min_count"]:
            break
        text = merged_text(a, b)
        if text is not None:
            chosen = (a, b, text, count)
            break
    if chosen is None:
        break
    a, b, text, count = chosen
    step_pairs.clear()
    group = len(group_sizes)
    group_sizes.append(0)
    is_new = text not in vocab
    if is_new:
        vocab[text] = next_id
        text_of[next_id] = text
        group_of_new[next_id] = group
        next_id += 1
    token = vocab[text]
    append(a, b, token, group, count)
    if is_new and every_split:
        raw = text.encode()
        for split in range(1, len(raw)):
            if raw[split] & 0xC0 == 0x80:
                continue
            x, y = raw[:split].decode(), raw[split:].decode()
            if x not in vocab or y not in vocab:
                continue
            first, second = vocab[x], vocab[y]
            if (first, second) == (a, b) or not mergeable(first) or not mergeable(second):
                continue
            if (first, second) in table or group_sizes[group] >= STRIDE:
                continue
            append(first, second, token, group, 0)
        for earlier in range(first_new, token):
            earlier_text = text_of[earlier]
            earlier_group = group_of_new[earlier]
            if len(earlier_text.encode()) <= len(raw) or group_sizes[earlier_group] >= STRIDE:
                continue
            if earlier_text.endswith(text):
                x = earlier_text[: -len(text)]
                if x in vocab and mergeable(vocab[x]) and (vocab[x], token) not in table:
                    append(vocab[x], token, earlier, earlier_group, 0)
            if group_sizes[earlier_group] < STRIDE and earlier_text.startswith(text):
                y = earlier_text[len(text) :]
                if y in vocab and mergeable(vocab[y]) and (token, vocab[y]) not in table:
                    append(token, vocab[y], earlier, earlier_group, 0)
    learned += 1
    # Only words holding a pair of a merge just added can change (the others are closed under
    # every merge they hold).
    for key, symbols in current.items():
        if any(pair in step_pairs for pair in zip(symbols, symbols[1:])) or (
            ignore_merges and strings[key] == text
        ):
            current[key] = encode(key)

merges.sort()
tokens_after = sum(len(symbols) * words[key] for key, symbols in current.items())
print(json.dumps({"merges": [m[1:] for m in merges], "tokens_after": tokens_after}))
