"""The installed command, run for real: pipes, standard input, | head -1, exit codes."""

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
