"""Checks an extended tokenizer against the original with HF `tokenizers` (and `sentencepiece`).

Request (JSON file, argv[1]): {"original": DIR, "extended": DIR, "corpus": [texts], "others": [texts],
"words": [strings], "tensors": [names]}. Prints a JSON object:
  tokens_after: the corpus's tokens under the extended tokenizer.json (texts encoded one by one,
    no special tokens added);
  tokens_before: the same under the original;
  longer: texts (corpus and others) that got more tokens than before;
  undecoded: texts whose decoding changed (decode(new ids) != decode(old ids));
  old_ids_moved: tokens of the original vocabulary whose id changed;
  new_ids: the ids of the tokens the extended vocabulary has and the original lacks, ascending;
  words_not_single: --words strings that are not one token inside "Of<word>.";
  rows: for each tensor of "tensors", whether its old rows are unchanged and the new tokens
    whose rows are not the mean of their old pieces' rows (nearest);
  spm_mismatch: texts (on which the original files agree) on which sentencepiece on the extended
    tokenizer.model and tokenizers on the extended tokenizer.json give different ids (only when a
    tokenizer.model exists); spm_compared: how many texts were compared (the original files agree).
"""

import json
import os
import sys

from tokenizers import Tokenizer

request = json.load(open(sys.argv[1]))
old = Tokenizer.from_file(os.path.join(request["original"], "tokenizer.json"))
new = Tokenizer.from_file(os.path.join(request["extended"], "tokenizer.json"))
corpus = request.get("corpus", [])
others = request.get("others", [])
result = {"tokens_before": 0, "tokens_after": 0, "longer": [], "undecoded": [], "words_not_single": []}
for index, text in enumerate(corpus + others):
    a = old.encode(text, add_special_tokens=False).ids
    b = new.encode(text, add_special_tokens=False).ids
    if index < len(corpus):
        result["tokens_before"] += len(a)
        result["tokens_after"] += len(b)
    if len(b) > len(a):
        result["longer"].append(text)
    if new.decode(b, skip_special_tokens=False) != old.decode(a, skip_special_tokens=False):
        result["undecoded"].append(text)
old_vocab = old.get_vocab(with_added_tokens=True)
new_vocab = new.get_vocab(with_added_tokens=True)
result["old_ids_moved"] = [t for t, i in old_vocab.items() if new_vocab.get(t) != i]
result["new_vocab_size"] = new.get_vocab_size(with_added_tokens=True)
result["new_ids"] = sorted(i for t, i in new_vocab.items() if t not in old_vocab)
for word in request.get("words", []):
    # Inside ordinary text, one token decodes to the whole word.
    context = new.encode("Of" + word + ".", add_special_tokens=False).ids
    if not any(new.decode([i]).strip() == word.strip() for i in context):
        result["words_not_single"].append(word)
model_path = os.path.join(request["extended"], "tokenizer.model")
if os.path.exists(model_path):
    import sentencepiece

    processor = sentencepiece.SentencePieceProcessor(model_file=model_path)
    original = sentencepiece.SentencePieceProcessor(model_file=os.path.join(request["original"], "tokenizer.model"))
    mismatched = []
    compared = 0
    for text in corpus + others:
        if original.encode(text) != old.encode(text, add_special_tokens=False).ids:
            continue  # the original files disagree already (special tokens matched in text)
        compared += 1
        spm = processor.encode(text)
        hf = new.encode(text, add_special_tokens=False).ids
        if spm != hf:
            mismatched.append({"text": text, "spm": spm, "tokenizers": hf})
    result["spm_mismatch"] = mismatched
    result["spm_compared"] = compared
    result["spm_pieces"] = processor.get_piece_size()
if request.get("tensors"):
    # Rows: old rows unchanged; a new token's row is the mean of the rows of its old pieces (its
    # first merge in file order makes it: pieces(token) = pieces(left) + pieces(right)); a head
    # bias's new entries are the mean entry.
    import torch
    from safetensors.torch import load_file

    original_json = json.load(open(os.path.join(request["original"], "tokenizer.json")))
    extended_json = json.load(open(os.path.join(request["extended"], "tokenizer.json")))
    old_merge_count = len(original_json["model"]["merges"])
    vocab = extended_json["model"]["vocab"]
    first_new = max(list(original_json["model"]["vocab"].values()) + [t["id"] for t in original_json["added_tokens"]]) + 1
    pieces = {}
    for merge in extended_json["model"]["merges"][old_merge_count:]:
        left, right = merge.split(" ", 1) if isinstance(merge, str) else merge
        token = vocab[left + right]
        if token >= first_new and token not in pieces:
            pieces[token] = pieces.get(vocab[left], [vocab[left]]) + pieces.get(vocab[right], [vocab[right]])
    before = load_file(os.path.join(request["original"], "model.safetensors"))
    after = load_file(os.path.join(request["extended"], "model.safetensors"))
    tolerance = {torch.float32: 1e-5, torch.float16: 2**-10, torch.bfloat16: 2**-7}
    rows = {}
    for name in request["tensors"]:
        a, b = before[name], after[name]
        n = a.shape[-1] if a.dim() == 1 else a.shape[0]
        check = {"old_equal": bool(torch.equal(b[..., :n] if a.dim() == 1 else b[:n], a)), "bad_new": []}
        rtol = tolerance[a.dtype]
        for token, parts in sorted(pieces.items()):
            if a.dim() == 1:
                expected = a.double().mean()
                got = b[token].double()
            else:
                expected = a[parts].double().mean(0)
                got = b[token].double()
            if not torch.allclose(got, expected, rtol=rtol, atol=1e-6):
                check["bad_new"].append(token)
        check["new_rows"] = len(pieces)
        check["shape"] = list(b.shape)
        rows[name] = check
    result["rows"] = rows
print(json.dumps(result))
