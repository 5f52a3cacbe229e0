"""Measurements for `scripts/bench --extend` (see scripts/bench-extend).

  extend_measure.py corpus OUT_TRAIN OUT_HELDOUT [LANGUAGE]   Debian's fortunes in LANGUAGE (ru,
      the default: fortunes-ru; de: fortunes-de), each fortune one line, shuffled with seed 0: 90%
      to train, 10% held out
  extend_measure.py train CORPUS MERGES            HF tokenizers' Rust BpeTrainer trained from
      scratch (byte-level, like SmolLM2) to 256 + MERGES tokens; prints {"seconds", "merges"}
  extend_measure.py compression HELDOUT DIR...     bytes per token of the held-out lines under each
      model folder's tokenizer.json; prints {DIR: {"tokens", "bytes", "bytes_per_token"}}
  extend_measure.py bpb HELDOUT LINES DIR...       zero-shot bits per byte of the first LINES
      held-out lines under each model (transformers, CPU): each line after `<|endoftext|>`, summed
      -log2 p of all its tokens over all its UTF-8 bytes
  extend_measure.py ideal HELDOUT LINES BASE EXTENDED
      where EXTENDED loses bits per byte against BASE, split by positions whose token is new or
      old, against a lower bound no rows of the new tokens can beat (see `ideal`)
  extend_measure.py tuned HELDOUT LINES TRAIN STEPS new|all BASE MODEL...
      bits per byte of the first LINES held-out lines under each MODEL after STEPS (a
      comma-separated list, e.g. 0,50,100) steps of training embedding rows only, with PEFT, on
      random lines of TRAIN: the rows of the tokens BASE lacks (new) or every row (all; BASE
      itself with all is the control); see `tuned`
"""

import glob
import json
import math
import random
import sys
import time


def corpus(train_path, heldout_path, language="ru"):
    entries = []
    for path in sorted(glob.glob(f"/usr/share/games/fortunes/{language}/*.u8")):
        if path.endswith("/asciiart.u8"):
            continue  # pictures, not text
        text = open(path, encoding="utf-8", errors="replace").read()
        for entry in text.split("\n%\n"):
            line = " ".join(part.strip() for part in entry.split("\n") if part.strip())
            if line and "\ufffd" not in line:
                entries.append(line)
    random.Random(0).shuffle(entries)
    held = len(entries) // 10
    open(heldout_path, "w").write("\n".join(entries[:held]) + "\n")
    open(train_path, "w").write("\n".join(entries[held:]) + "\n")


def train(corpus_path, merges):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=256 + merges, min_frequency=2, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    start = time.perf_counter()
    tokenizer.train([corpus_path], trainer)
    seconds = time.perf_counter() - start
    learned = len(json.loads(tokenizer.to_str())["model"]["merges"])
    print(json.dumps({"seconds": seconds, "merges": learned}))


def compression(heldout, folders):
    from tokenizers import Tokenizer

    lines = [line for line in open(heldout, encoding="utf-8").read().split("\n") if line]
    result = {}
    for folder in folders:
        tokenizer = Tokenizer.from_file(folder + "/tokenizer.json")
        tokens = sum(len(e.ids) for e in tokenizer.encode_batch(lines, add_special_tokens=False))
        size = sum(len(line.encode()) for line in lines)
        result[folder] = {"tokens": tokens, "bytes": size, "bytes_per_token": size / tokens}
    print(json.dumps(result))


def bits_per_byte(heldout, count, folders):
    """Zero-shot bits per byte of the first `count` held-out lines under each model: every line is
    scored whole after one fixed context token that every tokenizer encodes alike (the document
    separator `<|endoftext|>`, which SmolLM2 was trained with between documents), so every byte of
    every line is predicted and the bits are divided by all of them (a longer first token cannot
    hide bytes, as it does when each line's first token goes unscored)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_grad_enabled(False)
    lines = text_lines(heldout, count)
    size = sum(len(line.encode()) for line in lines)
    result = {}
    for folder in folders:
        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
        sequences = line_sequences(tokenizer, lines)
        bits = summed_bits(model, sequences)
        tokens = sum(len(sequence) - 1 for sequence in sequences)
        result[folder] = {"bits_per_byte": bits / size, "bytes": size, "tokens": tokens}
    print(json.dumps(result))


def text_lines(path, count=None):
    """The first `count` non-empty lines of `path` (all of them for `None`)."""
    return [line for line in open(path, encoding="utf-8").read().split("\n") if line][:count]


def line_sequences(tokenizer, lines, limit=None):
    """Each line's ids after `<|endoftext|>` (at most `limit` ids in all)."""
    context = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    return [([context] + tokenizer(line, add_special_tokens=False)["input_ids"])[:limit] for line in lines]


def summed_bits(model, sequences, batch_size=16):
    """-log2 p of every id but the first of every sequence, summed (a tensor with a gradient when
    gradients are enabled). Batches of similar lengths, padded on the right (the padding is masked
    and not scored)."""
    import torch

    bits = 0.0
    order = sorted(range(len(sequences)), key=lambda index: len(sequences[index]))
    for start in range(0, len(order), batch_size):
        batch = [sequences[index] for index in order[start : start + batch_size]]
        width = max(len(ids) for ids in batch)
        ids = torch.zeros((len(batch), width), dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, sequence in enumerate(batch):
            ids[row, : len(sequence)] = torch.tensor(sequence)
            mask[row, : len(sequence)] = 1
        logits = model(input_ids=ids, attention_mask=mask).logits
        logp = torch.log_softmax(logits if torch.is_grad_enabled() else logits.double(), dim=-1)
        scored = logp[:, :-1].gather(-1, ids[:, 1:, None])[..., 0] * mask[:, 1:]
        bits = bits - scored.sum() / math.log(2)
    return bits if torch.is_grad_enabled() else float(bits)


def tuned(heldout, count, train_path, steps, rows_trained, base, folders):
    """Bits per byte of the first `count` held-out lines under each model of `folders` after a
    short training of embedding rows only, the rest of the model frozen, with PEFT's
    `TrainableTokensConfig` as a user would (a tied head trains with them). `rows_trained` is `new`
    (the rows of the tokens BASE's vocabulary lacks: `extend --json`'s `new_ids`) or `all` (every
    row; BASE itself with `all` is the control: what the same text and steps give the original).
    Each step: 8 random lines of `train_path` (seed 0, the same lines for every model), each after
    `<|endoftext|>`, cut to 128 ids; the mean -log p per predicted token; Adam, learning rate
    1e-3, float32, CPU. `steps` is a comma-separated list of step counts, each measured (0: before
    training). Prints {folder: {"trained_rows", "bits_per_byte": {step: value}, "seconds": {step:
    training seconds so far}}}."""
    import torch
    from peft import TrainableTokensConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    checkpoints = sorted({int(step) for step in steps.split(",")})
    lines = text_lines(heldout, count)
    size = sum(len(line.encode()) for line in lines)
    training = text_lines(train_path)
    base_vocabulary = AutoTokenizer.from_pretrained(base).get_vocab()
    result = {}
    for folder in folders:
        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
        rows = model.get_input_embeddings().weight.shape[0]
        if rows_trained == "all":
            trained = list(range(rows))
        else:
            trained = sorted(i for token, i in tokenizer.get_vocab().items() if token not in base_vocabulary)
            assert trained, f"{folder} has no tokens that {base} lacks"
        config = TrainableTokensConfig(target_modules=["embed_tokens"], token_indices=trained)
        model = get_peft_model(model, config)
        optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
        sequences = line_sequences(tokenizer, lines)
        generator = random.Random(0)
        measured, seconds, elapsed = {}, {}, 0.0
        for step in range(checkpoints[-1] + 1):
            if step in checkpoints:
                model.eval()
                with torch.no_grad():
                    measured[step] = summed_bits(model, sequences) / size
                seconds[step] = elapsed
                model.train()
            if step == checkpoints[-1]:
                break
            start = time.perf_counter()
            batch = line_sequences(tokenizer, generator.sample(training, 8), limit=128)
            with torch.enable_grad():
                loss = summed_bits(model, batch, batch_size=8) * math.log(2) / sum(len(ids) - 1 for ids in batch)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            elapsed += time.perf_counter() - start
        result[folder] = {"trained_rows": len(trained), "bits_per_byte": measured, "seconds": seconds}
    print(json.dumps(result))


def ideal(heldout, count, base, extended):
    """Where EXTENDED (BASE plus new merges and new tokens, the old rows unchanged) loses bits per
    byte against BASE on the first `count` held-out lines, and what an ideal model would cost: one
    that reads each new token as well as the old pieces it replaces (its prediction after a new
    token is BASE's after those pieces) and gives each new token its pieces' chain probability.

    The new tokenizer encodes a line as the old one did and then merges: each new-tokenizer token
    covers a run of old tokens, starting at old position i. There the ideal model's distribution is
    BASE's at position i over the old tokens, which the unchanged old rows keep whole, plus the mass
    of the new tokens: a new token t whose old pieces p1..pn have chain probability
    P(t) = p(p1) p(p2 | p1) ... gets logit log P(t), and then every probability is divided by
    1 + Σ_t P(t) ≥ 1 + P(t*) for the token t* that occurs. So the ideal model's token costs at
    least -log2 P(t*) + log2(1 + P(t*)) bits when it is new, and at least -log2 p(v) (BASE's
    probability of the old token v at position i) when it is old: `ideal_*` sum those.

    Prints, in bits per byte: `original` (BASE); `ideal_new` and `ideal_old`, the bound's bits at
    the positions whose token is new / old (their sum is the bound); `actual_new` and `actual_old`,
    EXTENDED's bits there; and `output_only_new` and `output_only_old`, the bits of EXTENDED's head
    applied to BASE's own final hidden states at position i (the new rows as outputs, read
    perfectly as inputs): what the output side alone costs."""
    import torch
    from tokenizers import Tokenizer
    from transformers import AutoModelForCausalLM

    torch.set_grad_enabled(False)
    lines = text_lines(heldout, count)
    size = sum(len(line.encode()) for line in lines)
    old_tokenizer = Tokenizer.from_file(base + "/tokenizer.json")
    new_tokenizer = Tokenizer.from_file(extended + "/tokenizer.json")
    old_size = old_tokenizer.get_vocab_size(with_added_tokens=True)
    base_model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32).eval()
    extended_model = AutoModelForCausalLM.from_pretrained(extended, dtype=torch.float32).eval()
    head = extended_model.get_output_embeddings().weight
    context = old_tokenizer.token_to_id("<|endoftext|>")
    bits = dict.fromkeys(
        ["original", "ideal_new", "ideal_old", "actual_new", "actual_old", "output_only_new", "output_only_old"], 0.0)
    positions = {"new": 0, "old": 0}

    def log2_softmax(logits):
        return torch.log_softmax(logits.double(), dim=-1) / math.log(2)

    for line in lines:
        old = old_tokenizer.encode(line, add_special_tokens=False)
        new = new_tokenizer.encode(line, add_special_tokens=False)
        run = base_model(input_ids=torch.tensor([[context] + old.ids]), output_hidden_states=True)
        base_logp = log2_softmax(run.logits[0])
        # transformers returns the last hidden states after the final norm: what the head reads.
        output_only = log2_softmax(run.hidden_states[-1][0] @ head.T)
        extended_logp = log2_softmax(extended_model(input_ids=torch.tensor([[context] + new.ids])).logits[0])
        old_bits = [-base_logp[i, token].item() for i, token in enumerate(old.ids)]
        bits["original"] += sum(old_bits)
        old_ends = byte_ends(old.tokens)
        cursor = 0
        for position, (token, end) in enumerate(zip(new.ids, byte_ends(new.tokens))):
            first = cursor
            while cursor < len(old.ids) and old_ends[cursor] <= end:
                cursor += 1
            assert cursor > first and old_ends[cursor - 1] == end, (line, old.tokens, new.tokens)
            kind = "new" if token >= old_size else "old"
            positions[kind] += 1
            if kind == "new":
                chain = sum(old_bits[first:cursor])
                bits["ideal_new"] += chain + math.log2(1 + 2.0 ** -chain)
            else:
                bits["ideal_old"] += -base_logp[first, token].item()
            bits["actual_" + kind] += -extended_logp[position, token].item()
            bits["output_only_" + kind] += -output_only[first, token].item()
        assert cursor == len(old.ids), (line, old.ids, new.ids)
    result = {key: value / size for key, value in bits.items()}
    result["ideal"] = result["ideal_new"] + result["ideal_old"]
    result["actual"] = result["actual_new"] + result["actual_old"]
    result.update(bytes=size, new_token_positions=positions["new"], old_token_positions=positions["old"])
    print(json.dumps(result))


def byte_ends(tokens):
    """The byte offset where each byte-level BPE token ends (GPT-2's alphabet: a printable byte
    stands for itself, the others for 256 + their rank)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(
        range(ord("®"), ord("ÿ") + 1))
    alphabet = {chr(b): b for b in printable}
    extra = 0
    for b in range(256):
        if b not in printable:
            alphabet[chr(256 + extra)] = b
            extra += 1
    ends, total = [], 0
    for token in tokens:
        total += len(token) if all(character in alphabet for character in token) else len(token.encode())
        ends.append(total)
    return ends


command = sys.argv[1]
if command == "corpus":
    corpus(*sys.argv[2:5])
elif command == "train":
    train(sys.argv[2], int(sys.argv[3]))
elif command == "compression":
    compression(sys.argv[2], sys.argv[3:])
elif command == "bpb":
    bits_per_byte(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
elif command == "ideal":
    ideal(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
elif command == "tuned":
    tuned(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7], sys.argv[8:])
else:
    sys.exit("unknown command " + command)
