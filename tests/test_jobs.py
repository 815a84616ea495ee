"""Worker processes: records and signatures cross process boundaries; output identical to one process."""

import os
import pickle
from pathlib import Path

import pytest
from conftest import FIXTURES, SEEDS, run_cli

from cleanseed.dedup import Signer, sign
from cleanseed.pipeline import clean
from cleanseed.record import Record


def test_records_and_signatures_pickle():
    rec = Record(id="a", source="s", title="T", paragraphs=["One. Two words here."], extra={"k": [1]})
    rec.removed.append({"text": "x", "reason": "boilerplate", "rule": "share"})
    back = pickle.loads(pickle.dumps(rec))
    assert back == rec
    signed = sign(rec.paragraphs, Signer())
    again = pickle.loads(pickle.dumps(signed))
    assert again == signed and again.texts == ["One.", "Two words here."]


def _docs(n):
    base = [
        "The council voted on Tuesday to close the old library on Main Street after a long debate.",
        "Residents said the building had served the town for more than ninety years.",
        "A new library will open next spring in the former post office, officials said.",
    ]
    return [
        {
            "id": f"d{i}",
            "text": "\n\n".join(
                base[: 1 + i % 3] + [f"Document {i} adds a sentence of its own, number {i}."]
            ),
        }
        for i in range(n)
    ]


@pytest.mark.parametrize("options", [{}, {"mark": True}, {"drop_duplicate_docs": True}, {"dedup": False}])
def test_library_jobs_2_matches_jobs_1(options):
    opts = dict(options)
    if "dedup" in opts:
        opts["enabled"] = opts.pop("dedup")
    one = list(clean(_docs(150), jobs=1, **opts))
    two = list(clean(_docs(150), jobs=2, **opts))
    assert one == two
    assert any(d.get("removed") or d.get("duplicates") for d in one) or opts.get("enabled") is False


def test_installed_command_jobs_2_byte_identical(tmp_path, shared):
    inputs = [
        str(shared / "eval" / "neardup-dev" / "input.jsonl"),
        *map(str, SEEDS),
        str(FIXTURES / "html"),
    ]
    one = run_cli("clean", "-q", "--jobs", "1", *inputs, timeout=300)
    two = run_cli("clean", "-q", "--jobs", "2", *inputs, timeout=300)
    assert one.returncode == 0 and two.returncode == 0
    assert one.stdout == two.stdout and one.stdout.count(b"\n") > 900
    marked = [run_cli("clean", "-q", "--mark", "-j", j, *map(str, SEEDS)).stdout for j in ("1", "2")]
    assert marked[0] == marked[1]


def test_jobs_2_reports_bad_input_like_jobs_1(tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text('{"text": "Fine text here."}\n{not json}\n{"text": ""}\n{"text": "More fine text."}\n')
    one, two = (run_cli("clean", "-j", j, str(good), str(tmp_path / "missing.txt")) for j in ("1", "2"))
    assert one.stdout == two.stdout and one.returncode == two.returncode == 0

    def errors(result):
        return [
            line for line in result.stderr.splitlines() if line.startswith(b"cleanseed: " + bytes(tmp_path))
        ]

    assert errors(one) == errors(two) and len(errors(one)) == 3


def test_recurring_blocks_computed_apart_give_the_same_result():
    from cleanseed.furniture import Recurring

    def records():
        return [
            Record(
                id=str(i),
                source="s",
                url="https://www.example.com/a",
                paragraphs=[f"Story {i} text.", "Follow us"],
            )
            for i in range(12)
        ] + [Record(id="bad", source="s", error="empty document")]

    here = [r.to_dict() for r in Recurring(window=4)(records())]
    stage, recs = Recurring(window=4), records()
    apart = list(
        stage.judge_stream((r, stage.blocks(r) if r.error is None else None, k) for k, r in enumerate(recs))
    )
    assert [k for _, k in apart] == list(range(len(recs)))
    assert [r.to_dict() for r, _ in apart] == here
    assert all(d["removed"] for d in here[:-1])


def test_jobs_2_reads_a_bounded_window_ahead():
    from cleanseed.config import load_config
    from cleanseed.pipeline import CHUNK, IN_FLIGHT, run

    config = load_config(None, jobs=2)
    pulled = 0

    def records():
        nonlocal pulled
        for doc in _docs(3000):
            pulled += 1
            yield Record(id=doc["id"], source="s", paragraphs=doc["text"].split("\n\n"))

    ahead = 0
    for n, _ in enumerate(run(records(), config), 1):
        ahead = max(ahead, pulled - n)
    # chunks with the workers, the one being handed on, the recurring window, a near-duplicate batch
    bound = (config.jobs * IN_FLIGHT + 1) * CHUNK + config.dedup.window + 64
    assert 0 < ahead <= bound


def test_more_jobs_than_cores_start_at_most_one_worker_a_core(monkeypatch):
    # --jobs 100000 forked a worker per job: a machine's process table filled, nothing gained
    from concurrent.futures import ProcessPoolExecutor

    from cleanseed.config import default_jobs

    asked = []
    init = ProcessPoolExecutor.__init__

    def counted(self, max_workers=None, *args, **kwargs):
        asked.append(max_workers)
        if max_workers > 64:
            raise AssertionError(f"{max_workers} worker processes asked for")
        init(self, max_workers, *args, **kwargs)

    monkeypatch.setattr(ProcessPoolExecutor, "__init__", counted)
    assert list(clean(_docs(100), jobs=100_000)) == list(clean(_docs(100), jobs=1))
    assert asked == [max(2, default_jobs())]


def _children(pid):
    """The pids of a process's children (Linux /proc)."""
    from pathlib import Path

    kids = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        kids += [int(k) for k in (task / "children").read_text().split()]
    return kids


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc to find the workers")
def test_a_worker_killed_mid_run_ends_the_run_with_one_line_not_a_hang(tmp_path):
    """The out-of-memory killer may kill a worker: multiprocessing.Pool never completed the chunk
    it held, and the run waited for it for ever. Now: one line on standard error, exit 1."""
    import json
    import signal
    import subprocess
    import time

    from conftest import cleanseed_command

    big = tmp_path / "big.jsonl"
    with big.open("w") as fh:
        for doc in _docs(60_000):
            fh.write(json.dumps(doc) + "\n")
    proc = subprocess.Popen(
        [*cleanseed_command(), "clean", "-q", "--jobs", "2", str(big)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not (workers := _children(proc.pid)) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert workers, "no worker process started"
        os.kill(workers[0], signal.SIGKILL)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    lines = err.decode().splitlines()
    assert proc.returncode == 1 and len(lines) == 1, err
    assert lines[0].startswith("Error: a worker process died")
