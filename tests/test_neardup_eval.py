"""The near-duplicate scorer of ../shared on a slice of the dev stream, with floors that only rise."""

import importlib.util
import json

from conftest import run_cli

SLICE = 300
# Floors measured on the first 300 documents; raise them when the method improves, never lower.
FLOORS = {"dup_f1": 0.98, "new_kept": 0.99, "provenance": 0.97, "furniture_removed": 0.95}


def test_dev_slice_scores_above_floor(shared, tmp_path):
    bench = shared / "eval" / "neardup-dev"
    spec = importlib.util.spec_from_file_location("score_neardup", shared / "eval" / "score_neardup.py")
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    docs = (bench / "input.jsonl").read_text(encoding="utf-8").splitlines()[:SLICE]
    truth = [json.loads(x) for x in (bench / "truth.jsonl").read_text(encoding="utf-8").splitlines()[:SLICE]]
    result = run_cli("clean", "-q", input=("\n".join(docs) + "\n").encode())
    assert result.returncode == 0, result.stderr
    outputs = [json.loads(x) for x in result.stdout.splitlines()]
    line = scorer.score(truth, outputs).splitlines()[-1]
    figures = dict(kv.split("=") for kv in line.split())
    for name, floor in FLOORS.items():
        assert float(figures[name]) >= floor, line
