"""Writes the tokenizer.json of a SentencePiece BPE model as transformers' LlamaConverter does
(legacy Llama-2 / Mistral style: Prepend("▁") + Replace(" ", "▁") normalizer, no pre-tokenizer,
BPE with byte fallback, merges from SentencePieceExtractor: every split of a piece into two
pieces, ranked by the piece's score), with the `tokenizers` library only.

    spm_bpe_to_tokenizer_json.py MODEL OUTPUT

The Mistral tokenizers of mistral-common ship a tokenizer.model only; transformers 5 no longer
converts them from a path, so the tests convert here. The conversion is checked where it is used:
sentencepiece on MODEL and tokenizers on OUTPUT must encode the test texts alike.
"""

import sys

from sentencepiece import sentencepiece_model_pb2
from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers

proto = sentencepiece_model_pb2.ModelProto()
with open(sys.argv[1], "rb") as file:
    proto.ParseFromString(file.read())
if proto.trainer_spec.model_type != 2:
    sys.exit(f"{sys.argv[1]}: not a BPE model")
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, BYTE = 1, 2, 3, 4, 6
vocab = {piece.piece: index for index, piece in enumerate(proto.pieces)}
scores = {piece.piece: piece.score for piece in proto.pieces}
merges = []
for piece, score in scores.items():
    local = [(piece[:i], piece[i:], score) for i in range(1, len(piece)) if piece[:i] in vocab and piece[i:] in vocab]
    merges += sorted(local, key=lambda merge: (vocab[merge[0]], vocab[merge[1]]))
merges.sort(key=lambda merge: merge[2], reverse=True)  # stable: ties keep the order above
unknown = next(piece.piece for piece in proto.pieces if piece.type == UNKNOWN)
tokenizer = Tokenizer(
    models.BPE(vocab, [(left, right) for left, right, _ in merges], unk_token=unknown, fuse_unk=True, byte_fallback=True)
)
tokenizer.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
tokenizer.decoder = decoders.Sequence(
    [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
)
tokenizer.add_special_tokens(
    [AddedToken(piece.piece, normalized=False, special=True) for piece in proto.pieces if piece.type in (UNKNOWN, CONTROL)]
)
tokenizer.add_tokens(
    [AddedToken(piece.piece, normalized=False, special=False) for piece in proto.pieces if piece.type == USER_DEFINED]
)
tokenizer.save(sys.argv[2])
