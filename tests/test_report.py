"""The audit report: the pure renderer, the command, and the page as headless Chromium shows it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, SEEDS, run_cli

from cleanseed.cli import main
from cleanseed.report import interleave, render_report

ARTIFACTS = ROOT / "artifacts"
HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)"> & "quotes" \u202e'


def rec(
    rid: str, text: str, removed: list[dict[str, object]] | None = None, **kw: object
) -> dict[str, object]:
    return {"id": rid, "source": rid, "text": text, "title": None, "removed": removed or [], **kw}


def sample() -> list[dict[str, object]]:
    return [
        rec(
            "a",
            "First body paragraph.\n\nSecond body paragraph.",
            [
                {"text": "May 1, 2024", "reason": "boilerplate", "rule": "dateline"},
                {"text": "Share this story", "reason": "boilerplate", "rule": "share"},
            ],
        ),
        rec(
            "b",
            "Something new.",
            [
                {
                    "text": "Second body paragraph.",
                    "reason": "duplicate",
                    "of": {"id": "a", "paragraph": 1},
                    "similarity": 0.91,
                }
            ],
        ),
        rec(
            "c",
            "",
            [
                {
                    "text": "First body paragraph.",
                    "reason": "duplicate",
                    "of": {"id": "a", "paragraph": 0},
                    "similarity": 1.0,
                }
            ],
            duplicate_of="a",
        ),
    ]


def test_counts_chart_clusters_and_links() -> None:
    page = render_report(sample())
    assert "<svg" in page and "boilerplate/share" in page and "boilerplate/dateline" in page
    # the cluster: two documents repeat a, with one passage each
    row = re.search(r"<table class=clusters>.*?</table>", page, re.S)
    assert row and 'href="#doc-0"' in row.group(0) and "<td class=n>2</td>" in row.group(0)
    # duplicates link to the paragraph they repeat, and that paragraph has the anchor
    assert 'href="#doc-0-p1"' in page and 'id="doc-0-p1"' in page
    assert "<s>Share this story</s>" in page and "boilerplate: share" in page
    assert "whole body repeats" in page


def test_interleave_puts_head_furniture_first_and_keeps_order() -> None:
    removed = [
        {"text": "d", "reason": "boilerplate", "rule": "dateline"},
        {"text": "s", "reason": "boilerplate", "rule": "share"},
        {"text": "x", "reason": "duplicate"},
        {"text": "c", "reason": "boilerplate", "rule": "comments"},
    ]
    order = interleave(["p0", "p1", "p2"], removed)
    assert order[0] == (-1, removed[0])
    assert [k for k, _ in order if k >= 0] == [0, 1, 2]
    placed = [e["text"] for k, e in order if k < 0]
    assert sorted(placed) == ["c", "d", "s", "x"]
    assert placed.index("s") < placed.index("c")  # boilerplate keeps its order


def test_hostile_text_is_escaped_everywhere() -> None:
    bad = rec(
        HOSTILE,
        HOSTILE,
        [
            {"text": HOSTILE, "reason": "boilerplate", "rule": HOSTILE},
            {
                "text": HOSTILE,
                "reason": "duplicate",
                "of": {"id": HOSTILE, "paragraph": "<b>"},
                "similarity": "x",
            },
        ],
        title=HOSTILE,
        url="javascript:alert(3)",
    )
    page = render_report([bad, {"id": 5, "error": HOSTILE}, {"nonsense": [1, 2]}])
    assert "<script" not in page and "<img" not in page and 'href="javascript' not in page
    assert "&lt;script&gt;" in page


def test_page_loads_nothing_from_outside() -> None:
    page = render_report(sample())
    refs = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert refs and all(r.startswith("#") for r in refs)
    assert "<link" not in page and "<script" not in page and "Content-Security-Policy" in page


def test_limit_shows_fewer_documents_but_counts_all() -> None:
    page = render_report(sample(), limit=1)
    assert "Documents (1 of 3 shown)" in page and 'id="doc-1"' not in page
    assert "(not shown)" in page


def test_report_command(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("".join(json.dumps(r) + "\n" for r in sample()) + "{broken\n")
    dest = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["report", str(out), "-o", str(dest)])
    assert result.exit_code == 0, result.output
    assert "out.jsonl:4: malformed JSON" in result.stderr and "1 lines skipped" in result.stderr
    assert 'id="doc-2"' in dest.read_text()
    missing = CliRunner().invoke(main, ["report", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 1 and "nope.jsonl" in missing.stderr


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip("chromium is not installed (.ci/run installs Debian's chromium package)")
    return found


def browse(url: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [
                chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                *args,
                url,
            ],
            capture_output=True,
            timeout=90,
        )


def test_report_of_a_real_run_in_chromium(tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.txt"
    hostile.write_text(
        f"{HOSTILE} is a headline-like line\n\nShare this story\n\nA body paragraph of some length here."
    )
    cleaned = run_cli("clean", *map(str, SEEDS), str(hostile))
    assert cleaned.returncode == 0
    out = tmp_path / "out.jsonl"
    out.write_bytes(cleaned.stdout)
    page = tmp_path / "report.html"
    made = run_cli("report", str(out), "-o", str(page))
    assert made.returncode == 0, made.stderr

    dom = browse(page.as_uri(), "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-500:]
    html = dom.stdout.decode()
    # what a reader sees: the chart, struck-through passages labelled with their rule, clusters
    assert "<svg" in html and "boilerplate/share" in html
    assert re.search(r"boilerplate: share</span><s>Share this", html)
    assert re.search(r"duplicate 0\.\d+ of <a href=\"#doc-0-p\d+\"", html)
    assert html.count('class="doc"') == 3
    # every in-page link lands on an element that exists
    ids = set(re.findall(r'id="([^"]+)"', html))
    assert all(h in ids for h in re.findall(r'href="#([^"]+)"', html))
    # hostile text stayed text: no element came out of it
    assert "<script" not in html and "<img" not in html and "&lt;script&gt;" in html

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    taken = browse(page.as_uri(), f"--screenshot={shot}", "--window-size=1100,1400", "--hide-scrollbars")
    assert taken.returncode == 0 and shot.stat().st_size > 10_000


def test_help_teaches_both_commands() -> None:
    runner = CliRunner()
    top = runner.invoke(main, ["--help"]).output
    assert "Examples:" in top and "cleanseed report" in top and "Exit codes" in top
    for command in ("clean", "report"):
        text = runner.invoke(main, [command, "--help"]).output
        assert "Examples:" in text and f"cleanseed {command} " in text
    assert runner.invoke(main, ["--version"]).output.startswith("cleanseed, version ")


def test_report_skips_objects_not_shaped_like_output(tmp_path: Path) -> None:
    # a JSONL file that is not cleanseed's output (text a number, removed not a list) ended
    # the report with a traceback
    good = {"id": "ok", "source": "s", "text": "A kept paragraph.", "removed": []}
    lines = [
        {"id": "n", "text": 5},
        {"id": "r", "text": "t", "removed": 5},
        {"id": "d", "duplicates": True},
        good,
    ]
    path = tmp_path / "other.jsonl"
    path.write_text("".join(json.dumps(obj) + "\n" for obj in lines))
    result = run_cli("report", str(path), "-o", str(tmp_path / "r.html"))
    assert result.returncode == 0 and b"Traceback" not in result.stderr
    assert result.stderr.decode().splitlines() == [
        f"cleanseed: {path}:1: not a cleanseed output record: 'text' is not a string",
        f"cleanseed: {path}:2: not a cleanseed output record: 'removed' is not a list",
        f"cleanseed: {path}:3: not a cleanseed output record: 'duplicates' is not a list",
        f"cleanseed: wrote {tmp_path / 'r.html'}, 3 lines skipped",
    ]
    assert "A kept paragraph." in (tmp_path / "r.html").read_text()
