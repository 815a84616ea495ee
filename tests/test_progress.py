"""Progress on a real terminal (tmux), none when standard error is a file; the summary's content."""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import cleanseed_command, run_cli

from cleanseed.record import Record
from cleanseed.stats import Progress, Stats

# Writes JSONL lines slowly, so the run lasts long enough for the bar to be drawn and seen.
FEEDER = (
    "import json,sys,time\n"
    "for i in range(int(sys.argv[1])):\n"
    "    if i == 200: print('{broken', flush=True)\n"
    "    print(json.dumps({'text': f'Line {i} says something of its own, number {i * 7}.'}), flush=True)\n"
    "    time.sleep(0.01)\n"
)


def test_progress_draws_only_when_enabled() -> None:
    stats = Stats(docs_read=1234, docs_out=1200, bytes_in=5_600_000, docs_failed=2)
    off = io.StringIO()
    Progress(off, enabled=False).update(stats)
    assert off.getvalue() == ""
    on = io.StringIO()
    bar = Progress(on, enabled=True)
    bar.update(stats)
    bar.close()
    shown = on.getvalue()
    assert shown.startswith("\r\033[K") and shown.endswith("\r\033[K")
    assert "1234 docs read, 1200 written (2 failed)" in shown and "5.6 MB in" in shown and "docs/s" in shown


def test_summary_counts_in_out_failed_bytes_and_rules() -> None:
    stats = Stats(bytes_in=2048, bytes_out=1024, docs_out=1)
    ok = Record(id="a", source="a")
    ok.removed = [
        {"text": "Share this", "reason": "boilerplate", "rule": "share"},
        {"text": "Share that now", "reason": "boilerplate", "rule": "share"},
        {"text": "a repeated sentence", "reason": "duplicate", "of": {"id": "x", "paragraph": 0}},
    ]
    stats.count(ok)
    stats.count(Record(id="b", source="b", error="binary file"))
    text = stats.summary()
    assert "2 documents in, 1 out, 1 failed" in text
    assert "2.0 kB read, 1.0 kB written" in text
    assert "removed passages: boilerplate 2, duplicate 1" in text
    assert "boilerplate/share" in text and "(5 words)" in text
    assert "failed: binary file 1" in text


def test_no_progress_when_stderr_is_not_a_terminal() -> None:
    lines = b"".join(b'{"text": "Line %d is here."}\n' % i for i in range(300))
    result = run_cli("clean", "--no-dedup", "-", input=lines)
    assert b"docs/s" not in result.stderr and b"\r" not in result.stderr
    assert b"300 documents in, 300 out" in result.stderr
    quiet = run_cli("clean", "--no-dedup", "-q", "-", input=lines)
    assert quiet.stderr == b"" and len(quiet.stdout.splitlines()) == 300


@pytest.fixture
def tmux() -> Iterator[list[str]]:
    exe = shutil.which("tmux")
    if not exe:
        pytest.skip("tmux is not installed (.ci/run installs it)")
    base = [exe, "-L", f"cleanseed-test-{os.getpid()}"]
    subprocess.run([*base, "new-session", "-d", "-x", "160", "-y", "20", "bash", "--norc"], check=True)
    try:
        yield base
    finally:
        subprocess.run([*base, "kill-server"], capture_output=True)


def screen(tmux: list[str]) -> str:
    return subprocess.run([*tmux, "capture-pane", "-p"], capture_output=True, text=True).stdout


def wait_for(tmux: list[str], needle: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = screen(tmux)
        if needle in shown:
            return shown
        time.sleep(0.05)
    raise AssertionError(f"{needle!r} never appeared; the screen:\n{screen(tmux)}")


def test_progress_on_a_terminal_and_not_into_a_file(tmux: list[str], tmp_path: Path) -> None:
    feeder = tmp_path / "feed.py"
    feeder.write_text(FEEDER)
    cmd = " ".join(map(shlex.quote, cleanseed_command()))
    feed = f"{shlex.quote(sys.executable)} {feeder}"
    out = tmp_path / "out.jsonl"
    err = tmp_path / "err.txt"
    script = (
        f"clear; {feed} 400 | {cmd} clean --no-dedup - > {out}; echo RUN1-DONE; "
        f"{feed} 50 | {cmd} clean --no-dedup - > /dev/null 2> {err}; echo RUN2-DONE; "
        f"{feed} 50 | {cmd} clean --no-dedup -q - > /dev/null; echo RUN3-DONE"
    )
    subprocess.run([*tmux, "send-keys", script, "Enter"], check=True)
    during = wait_for(tmux, "docs/s")
    assert "docs read" in during and " kB in" in during
    after = wait_for(tmux, "RUN3-DONE", timeout=90)
    # the bar was erased; the summary stayed; the quiet run printed nothing before its marker
    assert "docs/s" not in after
    assert "401 documents in, 400 out, 1 failed" in after
    # the error stands on its own line: the bar was erased before it
    assert re.search(r"^cleanseed: -:201: malformed JSON", after, re.M), after
    assert after.split("RUN2-DONE", 1)[1].split("RUN3-DONE")[0].strip() == ""
    assert len(out.read_text().splitlines()) == 400
    logged = err.read_text()
    assert "50 documents in" in logged and "docs/s" not in logged and "\r" not in logged
