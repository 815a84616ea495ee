"""What a perfect extractor would score through cleanseed: the reference bodies themselves, cleaned.

    python benchmarks/extraction_ceiling.py [BENCH_DIR ...]

For the benchmarks scored on token overlap with a reference body (article-extraction-benchmark,
readability-test-pages), each page's reference text goes through `cleanseed clean` as a
plain-text record, with the default options and with `--no-dedup`, and is scored by the shared
scorer as if it were extracted. The difference from 1.0 is what cleanseed's own stages take
from a perfect extraction: furniture the reference keeps (captions, datelines), paragraphs a
page repeats inside itself, and, with dedup on, text that pages share with earlier pages (test
pages built from the same filler text, say). No extraction on these pages can score higher
through the same options.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

EVAL = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "eval")
BENCHES = ("article-extraction-benchmark", "readability-test-pages")


def scorer_module(bench: str):  # noqa: ANN201  (the shared scorer, loaded from its file)
    path = os.path.join(os.path.dirname(os.path.normpath(bench)), "score_extraction.py")
    spec = importlib.util.spec_from_file_location("score_extraction", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def references(scorer, bench: str) -> list[dict[str, str]]:  # noqa: ANN001
    """Each page's reference body as a plain-text record, a paragraph per line of the reference."""
    records = []
    for pid, _url, _path, truth in scorer.pages(bench):
        if "articleBody" in truth:
            body = truth["articleBody"]
        else:
            body = scorer.html_text(scorer.read_gz(truth["expected"]))
        paragraphs = [line.strip() for line in body.splitlines() if line.strip()]
        records.append({"id": pid, "text": "\n\n".join(paragraphs)})
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("bench", nargs="*", default=[os.path.join(EVAL, b) for b in BENCHES])
    args = parser.parse_args()
    exe = shutil.which("cleanseed") or os.path.join(os.path.dirname(sys.executable), "cleanseed")
    with tempfile.TemporaryDirectory() as tmp:
        for bench in args.bench:
            scorer = scorer_module(bench)
            name = os.path.basename(os.path.normpath(bench))
            if scorer.kind(bench) != "tokens":
                print(f"{name}: scored on snippets, no reference body: skipped")
                continue
            source = os.path.join(tmp, f"{name}.jsonl")
            with open(source, "w", encoding="utf-8") as fh:
                for rec in references(scorer, bench):
                    fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            for label, options in (("default options", []), ("--no-dedup", ["--no-dedup"])):
                out = os.path.join(tmp, f"{name}.out.jsonl")
                with open(out, "wb") as fh:
                    subprocess.run([exe, "clean", "-q", *options, source], stdout=fh, check=True)
                figures = scorer.score(bench, out).split(" missing=0 ")[-1].split(" metadata[")[0]
                print(f"{name}, reference bodies through cleanseed, {label}: {figures}")


if __name__ == "__main__":
    main()
