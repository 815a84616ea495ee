"""Peak memory against the number of documents: flat without dedup, the index's growth with it.

    python benchmarks/memory.py [--docs 10000 40000] [--jobs 1]

Streams seeded synthetic documents (five paragraphs each, short and long, every one unique, so
nothing is removed and every short block is a new count for the recurring stage) into
`cleanseed clean -q` through a pipe, output to /dev/null, and prints each run's peak resident
set size (from wait4, so each run is measured alone). Without dedup, peak memory must not grow
with the number of documents beyond the recurring stage's bounded counts; with dedup, the growth
divided by the paragraphs added is the index's cost per paragraph.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator

VOCAB_SIZE = 20_000


def documents(n: int, seed: int = 7) -> Iterator[bytes]:
    rng = random.Random(seed)
    vocab = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
        for _ in range(VOCAB_SIZE)
    ]
    for i in range(n):
        paragraphs = []
        for j in range(5):
            words = rng.choices(vocab, k=rng.randint(8, 25) if j % 2 else rng.randint(35, 70))
            paragraphs.append(" ".join(words).capitalize() + ".")
        record = {"id": f"d{i}", "url": f"https://site{i % 50}.example/{i}", "text": "\n\n".join(paragraphs)}
        yield (json.dumps(record) + "\n").encode()


def run(n: int, options: list[str]) -> tuple[float, float]:
    """Peak RSS in MiB and seconds of one cleanseed run fed n documents on standard input."""
    exe = shutil.which("cleanseed") or os.path.join(os.path.dirname(sys.executable), "cleanseed")
    start = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        proc = subprocess.Popen([exe, "clean", "-q", *options, "-"], stdin=subprocess.PIPE, stdout=sink)
        assert proc.stdin is not None
        buffer: list[bytes] = []
        for line in documents(n):
            buffer.append(line)
            if len(buffer) == 1000:
                proc.stdin.write(b"".join(buffer))
                buffer.clear()
        proc.stdin.write(b"".join(buffer))
        proc.stdin.close()
        _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        sys.exit(f"cleanseed exited with status {status}")
    return usage.ru_maxrss / 1024, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[10_000, 40_000])
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    print(f"{'run':<12}{'documents':>10}{'peak MiB':>10}{'seconds':>9}")
    for name, options in (("no dedup", ["--no-dedup"]), ("dedup", [])):
        peaks = []
        for n in args.docs:
            peak, seconds = run(n, [*options, "--jobs", str(args.jobs)])
            peaks.append(peak)
            print(f"{name:<12}{n:>10,}{peak:>10.1f}{seconds:>9.1f}")
        growth = (peaks[-1] - peaks[0]) * 2**20 / (5 * (args.docs[-1] - args.docs[0]))
        print(f"{name:<12} growth {peaks[-1] - peaks[0]:+.1f} MiB = {growth:.0f} bytes per paragraph added")


if __name__ == "__main__":
    main()
