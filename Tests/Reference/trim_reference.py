"""Checks a trimmed tokenizer against the original with the HF `tokenizers` library (and
`sentencepiece` for .model files); prints one JSON report for the Swift tests.

    python trim_reference.py REQUEST.json

REQUEST: {"original": tokenizer.json, "trimmed": tokenizer.json, "kept": [old id of each new id],
          "corpus": [texts], "byte_complete": whether every text must decode back (byte-level
          BPE or byte fallback), "seed": for the arbitrary texts,
          optional "original_spm"/"trimmed_spm": tokenizer.model files,
          optional "vocab_txt": a trimmed vocab.txt (WordPiece) with "lowercase"}

Properties reported:
  corpus:    the trimmed tokenizer gives every corpus text the original's token strings, and its ids
             map back through `kept` to the original ids;
  arbitrary: texts not in the corpus (emoji, CJK, control characters, random code points and
             bytes) encode without error; with byte_complete they decode (when the file has a
             decoder) to what the original decodes to and hold no unknown token the original did not have;
  spm:       the trimmed .model loads and encodes the corpus to the trimmed tokenizer.json's ids
             (on the texts where the two original files agree: they differ on special tokens
             typed as text, which sentencepiece does not match);
  vocab_txt: a WordPiece tokenizer built from the trimmed vocab.txt gives the trimmed ids.
"""
import json
import random
import sys

from tokenizers import Tokenizer


def arbitrary_texts(seed):
    rng = random.Random(seed)
    fixed = [
        "", " ", "\n\n", "\t\r\n\x0b\x0c", "\x00\x01\x02\x1f\x7f\x80\x9f", "😀👍🏽👩‍💻🇵🇹❤️🎉",
        "你好，世界！这是一个测试。", "日本語のテキストとカタカナ", "한국어 텍스트입니다", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕥𝕖𝕩𝕥",
        "Ｆｕｌｌｗｉｄｔｈ　ｔｅｘｔ", "e\u0301\u0302\u0303 a\u0308", "\ufeff\u200b\u200d\u2060", "\ue000\U000f0000",
        "<unk> <s> </s> [UNK] [CLS] <|endoftext|>", "zzzzqqqqxxxx jjjjvvvv", "ﬁﬂﬃ ǅ ß ẞ İ ı", "٠١٢٣ ०१२३ 〇一二三",
        "Z̷̢͔̈́a̵l̴g̵o̶", "\U0001d11e\U0001f9ea\U0001fae0", "a" * 300, "😀" * 50,
    ]
    ranges = [(0x20, 0x7E), (0x00, 0x1F), (0x80, 0x24F), (0x300, 0x36F), (0x370, 0x52F),
              (0x590, 0x6FF), (0x900, 0x97F), (0xE00, 0xE7F), (0x1100, 0x11FF), (0x3040, 0x30FF),
              (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xE000, 0xF8FF), (0xFF00, 0xFFEF),
              (0x1F300, 0x1FAFF), (0x10000, 0x10FFFF)]
    texts = list(fixed)
    for _ in range(250):
        length = rng.randint(1, 40)
        chars = []
        for _ in range(length):
            low, high = rng.choice(ranges)
            code = rng.randint(low, high)
            if 0xD800 <= code <= 0xDFFF:
                code = 0x20
            chars.append(chr(code))
        texts.append("".join(chars))
    for _ in range(50):
        raw = bytes(rng.randrange(256) for _ in range(rng.randint(1, 60)))
        texts.append(raw.decode("utf-8", errors="replace"))
        texts.append(raw.decode("latin-1"))
    return texts


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        request = json.load(f)
    original = Tokenizer.from_file(request["original"])
    trimmed = Tokenizer.from_file(request["trimmed"])
    for tokenizer in (original, trimmed):
        tokenizer.no_padding()
        tokenizer.no_truncation()
    kept = request["kept"]
    report = {"vocab_size": trimmed.get_vocab_size(with_added_tokens=True)}

    mismatches = []
    for text in request["corpus"]:
        a = original.encode(text, add_special_tokens=False)
        b = trimmed.encode(text, add_special_tokens=False)
        mapped = [kept[i] if 0 <= i < len(kept) else -1 for i in b.ids]
        if a.tokens != b.tokens or a.ids != mapped:
            mismatches.append({"text": text, "original": a.tokens, "trimmed": b.tokens,
                               "original_ids": a.ids, "mapped_ids": mapped})
    report["corpus"] = {"texts": len(request["corpus"]), "mismatches": len(mismatches),
                        "examples": mismatches[:5]}

    unknown_token = unknown_of(request["trimmed"])
    unknown = trimmed.token_to_id(unknown_token) if unknown_token else None
    original_unknown = original.token_to_id(unknown_token) if unknown_token else None
    errors, decode_mismatches, new_unknowns = [], [], 0
    with open(request["trimmed"], encoding="utf-8") as f:
        has_decoder = json.load(f).get("decoder") is not None
    texts = arbitrary_texts(request.get("seed", 7))
    for text in texts:
        try:
            b = trimmed.encode(text, add_special_tokens=False)
        except Exception as error:  # noqa: BLE001 - reported to the test
            errors.append({"text": text, "error": str(error)})
            continue
        a = original.encode(text, add_special_tokens=False)
        if unknown is not None:
            new_unknowns += max(0, b.ids.count(unknown) - a.ids.count(original_unknown))
        if request.get("byte_complete") and has_decoder:
            if trimmed.decode(b.ids, skip_special_tokens=False) != original.decode(a.ids, skip_special_tokens=False):
                decode_mismatches.append({"text": text, "tokens": b.tokens})
    report["arbitrary"] = {"texts": len(texts), "errors": len(errors), "error_examples": errors[:5],
                           "decode_mismatches": len(decode_mismatches),
                           "decode_examples": decode_mismatches[:5], "new_unknowns": new_unknowns}

    if request.get("trimmed_spm"):
        import sentencepiece as spm
        sp_original = spm.SentencePieceProcessor(model_file=request["original_spm"])
        sp_trimmed = spm.SentencePieceProcessor(model_file=request["trimmed_spm"])
        compared, differing = 0, []
        for text in request["corpus"]:
            if sp_original.encode(text) != original.encode(text, add_special_tokens=False).ids:
                continue
            compared += 1
            ids = trimmed.encode(text, add_special_tokens=False).ids
            if sp_trimmed.encode(text) != ids:
                differing.append({"text": text, "spm": [sp_trimmed.id_to_piece(i) for i in sp_trimmed.encode(text)],
                                  "json": trimmed.encode(text, add_special_tokens=False).tokens})
        report["spm"] = {"pieces": sp_trimmed.get_piece_size(), "compared": compared,
                         "mismatches": len(differing), "examples": differing[:5]}

    if request.get("vocab_txt"):
        from tokenizers import BertWordPieceTokenizer
        bert = BertWordPieceTokenizer(request["vocab_txt"], lowercase=request.get("lowercase", True))
        differing = [text for text in request["corpus"]
                     if bert.encode(text, add_special_tokens=False).ids != trimmed.encode(text, add_special_tokens=False).ids]
        report["vocab_txt"] = {"mismatches": len(differing), "examples": differing[:5]}
    print(json.dumps(report, ensure_ascii=False))


def unknown_of(path):
    """The unknown token of a tokenizer.json's model, or None."""
    with open(path, encoding="utf-8") as f:
        model = json.load(f)["model"]
    if model.get("type") == "Unigram" or isinstance(model.get("vocab"), list):
        unk = model.get("unk_id")
        return None if unk is None else model["vocab"][unk][0]
    return model.get("unk_token")


if __name__ == "__main__":
    main()
