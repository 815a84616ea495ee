"""The installed command, run for real: pipes, standard input, | head -1, exit codes."""

import gzip
import json
import subprocess

from conftest import SEEDS, cleanseed_command, run_cli


def test_stdin_jsonl_to_stdout():
    data = b'{"id": "x", "text": "A first paragraph of text.\\n\\nAnd a second one, also text."}\n'
    result = run_cli("clean", "-q", input=data)
    assert result.returncode == 0 and result.stderr == b""
    assert json.loads(result.stdout)["text"] == "A first paragraph of text.\n\nAnd a second one, also text."


def test_head_closes_pipe_quietly(tmp_path):
    big = tmp_path / "big.jsonl"
    big.write_text(
        "".join(
            json.dumps({"text": f"Document number {i} has its own words {i * 7}."}) + "\n"
            for i in range(20000)
        )
    )
    cmd = " ".join(cleanseed_command()) + f" clean --no-dedup {big} | head -1"
    result = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, timeout=120)
    assert result.stdout.count(b"\n") == 1
    assert b"Traceback" not in result.stderr and b"Error" not in result.stderr


def test_bad_input_reported_and_run_goes_on(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("Some text that is fine.")
    result = run_cli("clean", str(tmp_path / "missing.txt"), str(good))
    assert result.returncode == 0
    assert b"missing.txt: cannot read" in result.stderr
    assert len(result.stdout.splitlines()) == 1
    assert run_cli("clean", "--strict", str(tmp_path / "missing.txt"), str(good)).returncode == 3


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0 and b"cleanseed" in result.stdout


def test_seed_pipeline_in_both_orders(tmp_path):
    forward = [json.loads(x) for x in run_cli("clean", *map(str, SEEDS)).stdout.splitlines()]
    backward = [json.loads(x) for x in run_cli("clean", *map(str, reversed(SEEDS))).stdout.splitlines()]
    assert not [r for r in forward[0]["removed"] if r["reason"] == "duplicate"]
    assert [r for r in forward[1]["removed"] if r["reason"] == "duplicate"]
    assert not [r for r in backward[0]["removed"] if r["reason"] == "duplicate"]
    dups = [r for r in backward[1]["removed"] if r["reason"] == "duplicate"]
    assert dups and all(r["of"]["id"] == str(SEEDS[1]) for r in dups)


def test_full_device_is_one_line_exit_1(tmp_path):
    # a disk that fills up mid-run: one line naming the problem, exit 1, no traceback
    with open("/dev/full", "wb") as full:
        result = subprocess.run(
            [*cleanseed_command(), "clean", *map(str, SEEDS)],
            stdout=full,
            stderr=subprocess.PIPE,
            timeout=120,
        )
    assert result.returncode == 1
    assert result.stderr.decode().splitlines() == ["Error: cannot write the output: No space left on device"]


def test_closed_standard_streams(tmp_path):
    # a stream the shell closed (>&-, <&-) is None in Python: each ended the run with a traceback
    cmd = " ".join(cleanseed_command()) + " clean"
    seeds = " ".join(map(str, SEEDS))
    out_closed = subprocess.run(["bash", "-c", f"{cmd} {seeds} >&-"], capture_output=True, timeout=120)
    assert out_closed.returncode == 1
    assert out_closed.stderr.decode().splitlines() == ["Error: standard output is closed"]
    no_input = subprocess.run(["bash", "-c", f"{cmd} <&-"], capture_output=True, timeout=120)
    assert no_input.returncode == 2 and b"standard input is closed" in no_input.stderr
    assert b"Traceback" not in no_input.stderr
    dash = subprocess.run(["bash", "-c", f"{cmd} - {SEEDS[0]} <&-"], capture_output=True, timeout=120)
    assert dash.returncode == 0 and len(dash.stdout.splitlines()) == 1
    assert b"cleanseed: -: cannot read: standard input is closed" in dash.stderr
    assert b"1 failed" in dash.stderr and b"Traceback" not in dash.stderr
    err_closed = subprocess.run(["bash", "-c", f"{cmd} {seeds} 2>&-"], capture_output=True, timeout=120)
    assert err_closed.returncode == 0 and len(err_closed.stdout.splitlines()) == 2
    # the readers' own lines (here: a truncated file kept in part) must not land in standard output
    cut = tmp_path / "cut.txt.gz"
    cut.write_bytes(gzip.compress(b"Readable text of a file cut short. " * 40)[:-30])
    cut_closed = subprocess.run(["bash", "-c", f"{cmd} {cut} 2>&-"], capture_output=True, timeout=120)
    assert [json.loads(line)["id"] for line in cut_closed.stdout.splitlines()] == [str(cut)]
