"""cleanseed's extract_author against trafilatura's: the pages where they differ, and ms/page of each.

    python benchmarks/author.py PAGES.jsonl [PAGES.jsonl ...]

PAGES are {"id", "url", "html"} JSONL. Run it after a trafilatura upgrade: extract/author.py copies the
patterns of trafilatura's AUTHOR_XPATHS and AUTHOR_DISCARD_XPATHS, and a change there shows up as
differing pages. Times are CPU (process_time), the best of 3 rounds, the class cache emptied
before each round so it is not carried from one round to the next.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from trafilatura.metadata import extract_author as trafilatura_author
from trafilatura.utils import load_html

from cleanseed.extract import _class_marks, extract_author


def main(paths: list[str]) -> int:
    pages: list[tuple[str, Any]] = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                page = json.loads(line)
                tree = load_html(page["html"])
                if tree is not None:
                    pages.append((f"{path}:{page['id']}", tree))
    differ = 0
    for name, tree in pages:
        theirs, ours = trafilatura_author(tree), extract_author(tree)
        if theirs != ours:
            differ += 1
            print(f"differs {name}: trafilatura {theirs!r}, cleanseed {ours!r}")
    print(f"{len(pages) - differ} of {len(pages)} pages the same")
    for label, function in (("trafilatura", trafilatura_author), ("cleanseed", extract_author)):
        rounds = []
        for _ in range(3):
            _class_marks.cache_clear()
            start = time.process_time()
            for _, tree in pages:
                function(tree)
            rounds.append(time.process_time() - start)
        print(f"{label}: {1000 * min(rounds) / len(pages):.2f} ms/page")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
