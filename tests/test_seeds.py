"""The two seed documents, judged by ../shared/eval/score_seeds.py where it exists, and by
the statements of ../shared/seeds/EXPECTED.md checked here one by one."""

import json
import re
import subprocess
import sys

import pytest
from conftest import SEEDS, cleanseed_command, run_cli


def norm(s):
    s = re.sub(r"[‘’]", "'", s)
    s = re.sub(r"[“”]", '"', s).replace("…", "...")
    return re.sub(r"\s+", " ", s).strip().casefold()


@pytest.fixture(scope="module")
def out():
    result = run_cli("clean", *map(str, SEEDS))
    assert result.returncode == 0, result.stderr
    return [json.loads(x) for x in result.stdout.splitlines()]


def test_scorer_passes_everything(shared):
    scorer = shared / "eval" / "score_seeds.py"
    if not scorer.exists():
        pytest.skip("../shared/eval/score_seeds.py is not in shared/ yet")
    cmd = (
        " ".join(cleanseed_command())
        + " clean "
        + " ".join(map(str, SEEDS))
        + f" | {sys.executable} {scorer}"
    )
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip().splitlines()[-1].endswith("61 passed, 0 failed"), result.stdout


def test_first_document_body_and_metadata(out):
    first = out[0]
    paras = [norm(p) for p in first["text"].split("\n\n")]
    openings = [
        "nato defense ministers agreed on wednesday",
        "nato will take over some",
        '"today, allied ministers',
        "nato and the coalition have non-combat",
        "after the killing, trump called on nato",
        "stoltenberg said the nato iraq mission",
        "nato diplomats told reuters",
        "nato ministers, including us defense",
        '"ministers also agreed to explore',
        "however, many allies say",
        "eastern european allies",
    ]
    assert len(paras) == 11
    assert all(p.startswith(o) for p, o in zip(paras, openings))
    assert first["title"] == "NATO to Expand Iraq Training Mission in Response to Trump"
    assert first["date"] == "2020-02-13"
    assert not [r for r in first["removed"] if r["reason"] == "duplicate"]
    text = norm(first["text"])
    for furniture in (
        "17 iyyar",
        "avatar by reuters",
        "francois lenoir",
        "related coverage",
        "dutch foreign ministry",
        "share on facebook",
        "let your voice",
        "join the algemeiner",
        "recaptcha",
        "10:24 am",
    ):
        assert furniture not in text


def test_second_document_duplicates_point_at_first(out):
    first, second = out
    first_paras = [norm(p) for p in first["text"].split("\n\n")]
    dups = [r for r in second["removed"] if r["reason"] == "duplicate"]
    by_opening = {norm(r["text"])[:60]: r for r in dups}
    esper = next(
        r for k, r in by_opening.items() if k.startswith("north atlantic treaty organisation minist")
    )
    assert first_paras[esper["of"]["paragraph"]].startswith("nato ministers, including us defense")
    diplomats = next(
        r for k, r in by_opening.items() if k.startswith("north atlantic treaty organisation diplo")
    )
    assert first_paras[diplomats["of"]["paragraph"]].startswith("nato diplomats told reuters")
    text = norm(second["text"])
    assert "the first step would be to expand the training to three more bases in central iraq." in text
    assert "a second step, possibly over the summer" in text
    assert "the alliance suspended the mission on january 6" in text
    assert "more could be made public after he meets top officials" in text
    assert (
        text.startswith("the proposal looks to satisfy us president donald trump")
        or text.count("nato iraq training mission could grow") <= 1
    )
    assert "north atlantic treaty organisation is ready to expand its military training effort" in text
    for furniture in (
        "notícias recomendadas",
        "we are pleased to provide",
        "may be reprinted",
        "offer your thoughts",
    ):
        assert furniture not in text
    assert second["title"].startswith(
        "Iraq's approval of expanded North Atlantic Treaty Organisation mission"
    )
