"""The CPU time of a trim's surgery against cp -r of its output, finer than `scripts/bench --trim`.

  python3 scripts/bench-support/trim_cpu.py ROUNDS BINARY [BINARY...]

Uses the data of `scripts/bench --trim` (run it once first: .build-bench/data-trim). For each model
(MiniLM, the Gemma-shaped one) it makes the kept-token list of a trim to the 10 MB corpus once, then
runs, ROUNDS times in a new random order each round, every binary's trim from the kept tokens (an
empty corpus and --keep) and its dry run, and `cp -r` of the output. Each run's CPU time (user +
system, every thread) comes from getrusage of the children, to the microsecond, so single runs
are timed instead of the mean of ten. The surgery's CPU is the median trim minus the median dry
run; printed with the wall times, which a loaded machine makes meaningless.
"""
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
area = os.path.join(root, ".build-bench")
data = os.path.join(area, "data-trim")
work = os.path.join(area, "trim-cpu")


def run(command, target):
    shutil.rmtree(target, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return cpu * 1000, wall * 1000


def main():
    rounds, binaries = int(sys.argv[1]), sys.argv[2:]
    if not os.path.exists(os.path.join(data, ".complete")):
        sys.exit("trim_cpu.py: no .build-bench/data-trim: run scripts/bench --trim first")
    os.makedirs(work, exist_ok=True)
    empty = os.path.join(work, "empty.txt")
    open(empty, "w").close()
    output, copy = os.path.join(work, "out"), os.path.join(work, "copy")
    for model in ("minilm", "gemma"):
        folder, kept, full = os.path.join(data, model), os.path.join(work, f"{model}-keep.json"), os.path.join(work, model)
        shutil.rmtree(full, ignore_errors=True)
        subprocess.run([binaries[0], "trim", folder, "--corpus", os.path.join(data, "corpus.txt"), "--quiet",
                        "--output", full], check=True, stdout=subprocess.DEVNULL)
        vocab = json.load(open(os.path.join(full, "tokenizer.json")))["model"]["vocab"]
        json.dump(list(vocab) if isinstance(vocab, dict) else [piece for piece, _ in vocab], open(kept, "w"))
        times = {}
        for _ in range(rounds):
            jobs = [("cp", ["cp", "-r", full, copy], copy)]
            for binary in binaries:
                trim = [binary, "trim", folder, "--corpus", empty, "--keep", kept, "--output", output]
                jobs += [((binary, "dry run"), trim + ["--dry-run", "--json"], output),
                         ((binary, "trim"), trim + ["--quiet"], output)]
            random.shuffle(jobs)
            for name, command, target in jobs:
                times.setdefault(name, []).append(run(command, target))
        median = {name: (statistics.median(c for c, _ in v), statistics.median(w for _, w in v))
                  for name, v in times.items()}
        copy_cpu, copy_wall = median["cp"]
        print(f"{model}, {rounds} rounds: cp -r of the output {copy_cpu:.1f} ms CPU, {copy_wall:.1f} ms wall")
        for binary in binaries:
            cpu = median[(binary, "trim")][0] - median[(binary, "dry run")][0]
            wall = median[(binary, "trim")][1] - median[(binary, "dry run")][1]
            print(f"  {binary}: surgery {cpu:.1f} ms CPU = {cpu / copy_cpu:.2f}x cp -r; "
                  f"{wall:.1f} ms wall = {wall / copy_wall:.2f}x")
        shutil.rmtree(full, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)


main()
