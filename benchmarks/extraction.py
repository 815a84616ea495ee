"""Extraction throughput: pages/second of cleanseed (with --jobs) and of trafilatura alone, and peak memory.

    python benchmarks/extraction.py [BENCH_DIR] [--limit N] [--jobs N]

Both run on the same pages in one run: the benchmark's pages prepared as {"id", "url", "html"}
JSONL, then `cleanseed clean -q --no-dedup --jobs N` as a subprocess, then trafilatura.extract
in this process on one core. Peak memory is each run's maximum resident set size.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

EVAL = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "eval")


def prepare(bench: str, limit: int) -> list[dict[str, str | None]]:
    """The benchmark's pages as records, via the shared scorer's `prepare`."""
    scorer = os.path.join(os.path.dirname(os.path.normpath(bench)), "score_extraction.py")
    out = subprocess.run(
        [sys.executable, scorer, "prepare", bench, "--limit", str(limit)], capture_output=True, check=True
    )
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def run_cleanseed(path: str, jobs: int) -> tuple[float, float, int]:
    """Seconds, peak RSS in MiB of the child processes, and output lines of one cleanseed run."""
    exe = shutil.which("cleanseed") or os.path.join(os.path.dirname(sys.executable), "cleanseed")
    start = time.perf_counter()
    proc = subprocess.run([exe, "clean", "-q", "--no-dedup", "--jobs", str(jobs), path], capture_output=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"cleanseed failed: {proc.stderr.decode(errors='replace')[-500:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return elapsed, peak, len(proc.stdout.splitlines())


def run_trafilatura(pages: list[dict[str, str | None]]) -> tuple[float, float]:
    """Seconds and this process's peak RSS in MiB for trafilatura.extract on every page."""
    import trafilatura

    start = time.perf_counter()
    for page in pages:
        trafilatura.extract(page["html"], url=page["url"], deduplicate=False, include_comments=False)
    elapsed = time.perf_counter() - start
    return elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bench", nargs="?", default=os.path.join(EVAL, "article-extraction-benchmark"))
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    pages = prepare(os.path.normpath(args.bench), args.limit)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "pages.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for page in pages:
                f.write(json.dumps(page, ensure_ascii=False) + "\n")
        c_secs, c_peak, lines = run_cleanseed(path, args.jobs)
    t_secs, t_peak = run_trafilatura(pages)
    n = len(pages)
    print(f"pages: {n} from {os.path.basename(os.path.normpath(args.bench))}")
    print(f"cleanseed --jobs {args.jobs}: {n / c_secs:.1f} pages/s ({lines} out), peak RSS {c_peak:.0f} MiB")
    print(f"trafilatura alone (1 process): {n / t_secs:.1f} pages/s, peak RSS {t_peak:.0f} MiB")


if __name__ == "__main__":
    main()
