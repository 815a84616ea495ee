"""Extraction throughput: pages/second of cleanseed (with --jobs) and of trafilatura alone, and peak memory.

    python benchmarks/extraction.py [BENCH_DIR] [--limit N] [--jobs N]

Both run on the same pages in one run: the benchmark's pages (all of them unless --limit)
prepared as {"id", "url", "html"} JSONL, then `cleanseed clean -q --no-dedup --jobs N` as a
subprocess, then trafilatura.extract in this process on one core. Peak memory is each run's
maximum resident set size. CPU seconds per page (all processes, user + system) are printed
too: on a machine shared with other work, --jobs N may not get N cores, and the CPU figure is
the one that does not depend on what else runs. Each figure is the best of `--repeat` (3)
rounds, the rounds interleaved (cleanseed, trafilatura; again), as timeit takes the best: single
runs of the 126 AEB pages here gave ratios from 0.78x to 1.16x, a neighbour's load landing on one
side or the other.
"""

from __future__ import annotations

import argparse
import importlib.util
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
    """The benchmark's pages as records, as the shared scorer's `prepare` makes them.

    Loaded in this process, not a child: a child's peak memory would count as cleanseed's.
    """
    path = os.path.join(os.path.dirname(os.path.normpath(bench)), "score_extraction.py")
    spec = importlib.util.spec_from_file_location("score_extraction", path)
    assert spec is not None and spec.loader is not None
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    return [
        {"id": pid, "url": url, "html": scorer.read_gz(page)}
        for pid, url, page, _ in scorer.pages(bench, limit)
    ]


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_cleanseed(path: str, jobs: int) -> tuple[float, float, float, int]:
    """Seconds, CPU seconds, peak RSS in MiB of the child processes, and output lines of one cleanseed run."""
    exe = shutil.which("cleanseed") or os.path.join(os.path.dirname(sys.executable), "cleanseed")
    cpu = _cpu(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([exe, "clean", "-q", "--no-dedup", "--jobs", str(jobs), path], capture_output=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"cleanseed failed: {proc.stderr.decode(errors='replace')[-500:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return elapsed, _cpu(resource.RUSAGE_CHILDREN) - cpu, peak, len(proc.stdout.splitlines())


def run_trafilatura(pages: list[dict[str, str | None]]) -> tuple[float, float, float]:
    """Seconds, CPU seconds and this process's peak RSS in MiB for trafilatura.extract on every page."""
    import trafilatura

    cpu = _cpu(resource.RUSAGE_SELF)
    start = time.perf_counter()
    for page in pages:
        trafilatura.extract(page["html"], url=page["url"], deduplicate=False, include_comments=False)
    elapsed = time.perf_counter() - start
    return (
        elapsed,
        _cpu(resource.RUSAGE_SELF) - cpu,
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bench", nargs="?", default=os.path.join(EVAL, "article-extraction-benchmark"))
    parser.add_argument("--limit", type=int, default=0, help="pages to use (default: all)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; each figure is the best")
    args = parser.parse_args()
    pages = prepare(os.path.normpath(args.bench), args.limit)
    c_secs = c_cpu = t_secs = t_cpu = float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "pages.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for page in pages:
                f.write(json.dumps(page, ensure_ascii=False) + "\n")
        # the best of --repeat interleaved rounds, each figure on its own (see the docstring)
        for _ in range(args.repeat):
            secs, cpu, c_peak, lines = run_cleanseed(path, args.jobs)
            c_secs, c_cpu = min(c_secs, secs), min(c_cpu, cpu)
            secs, cpu, t_peak = run_trafilatura(pages)
            t_secs, t_cpu = min(t_secs, secs), min(t_cpu, cpu)
    n = len(pages)
    print(f"pages: {n} from {os.path.basename(os.path.normpath(args.bench))}, best of {args.repeat} rounds")
    print(
        f"cleanseed --jobs {args.jobs}: {n / c_secs:.1f} pages/s ({lines} out), "
        f"{1000 * c_cpu / n:.0f} ms CPU/page (startup included), peak RSS {c_peak:.0f} MiB"
    )
    print(
        f"trafilatura alone (1 process): {n / t_secs:.1f} pages/s, "
        f"{1000 * t_cpu / n:.0f} ms CPU/page, peak RSS {t_peak:.0f} MiB"
    )
    print(f"ratio cleanseed/trafilatura: {t_secs / c_secs:.2f}x pages/s, {c_cpu / t_cpu:.2f}x CPU")


if __name__ == "__main__":
    main()
