"""Checks an extended tokenizer against the original with HF `tokenizers` (and `sentencepiece`).

Request (JSON file, argv[1]): {"original": DIR, "extended": DIR, "corpus": [texts], "others": [texts],
"words": [strings]}. Prints a JSON object:
  tokens_after: the corpus's tokens under the extended tokenizer.json (texts encoded one by one,
    no special tokens added);
  tokens_before: the same under the original;
  longer: texts (corpus and others) that got more tokens than before;
  undecoded: texts whose decoding changed (decode(new ids) != decode(old ids));
  old_ids_moved: tokens of the original vocabulary whose id changed;
  words_not_single: --words strings that do not encode to one token inside "a <word> b";
  spm_mismatch: texts (on which the original files agree) on which sentencepiece on the extended tokenizer.model and tokenizers on the
    extended tokenizer.json give different ids (only when a tokenizer.model exists).
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
for word in request.get("words", []):
    pieces = new.encode(word, add_special_tokens=False).ids
    context = new.encode("Of" + word + ".", add_special_tokens=False).ids
    if len(pieces) != 1 or pieces[0] not in context:
        result["words_not_single"].append(word)
model_path = os.path.join(request["extended"], "tokenizer.model")
if os.path.exists(model_path):
    import sentencepiece

    processor = sentencepiece.SentencePieceProcessor(model_file=model_path)
    original = sentencepiece.SentencePieceProcessor(model_file=os.path.join(request["original"], "tokenizer.model"))
    mismatched = []
    for text in corpus + others:
        if original.encode(text) != old.encode(text, add_special_tokens=False).ids:
            continue  # the original files disagree already (special tokens matched in text)
        spm = processor.encode(text)
        hf = new.encode(text, add_special_tokens=False).ids
        if spm != hf:
            mismatched.append({"text": text, "spm": spm, "tokenizers": hf})
    result["spm_mismatch"] = mismatched
    result["spm_pieces"] = processor.get_piece_size()
print(json.dumps(result))
