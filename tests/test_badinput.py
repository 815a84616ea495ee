"""Bad input through the installed command: one clear line on stderr, the run goes on, nothing lost.

Every test checks the same three things: the message names the file (and line, for JSONL), the
good input next to the bad one still comes out, and output lines + failed == documents in.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import select
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import zstandard
from conftest import cleanseed_command, deep_html, entity_bomb_html, run_cli

GOOD = "A good document that sits beside the bad ones and must come through whole."
SUMMARY = re.compile(rb"cleanseed: (\d+) documents in, (\d+) out, (\d+) failed, (\d+) dropped")


def good_file(tmp_path: Path) -> Path:
    path = tmp_path / "good.txt"
    path.write_text(GOOD)
    return path


def accounted(result: subprocess.CompletedProcess[bytes]) -> tuple[list[dict[str, object]], int]:
    """Output records and the failed count; asserts every document in is out or failed."""
    out = [json.loads(line) for line in result.stdout.splitlines()]
    match = SUMMARY.search(result.stderr)
    assert match, result.stderr
    docs_in, docs_out, failed, dropped = map(int, match.groups())
    assert docs_out == len(out)
    assert docs_in == docs_out + failed + dropped
    assert b"Traceback" not in result.stderr
    return out, failed


def messages(result: subprocess.CompletedProcess[bytes]) -> list[str]:
    """The per-document lines on stderr (not the summary)."""
    return [
        line
        for line in result.stderr.decode().splitlines()
        if not SUMMARY.match(line.encode())
        and "removed passages" not in line
        and ":   " not in line
        and not line.startswith("cleanseed: failed:")
    ]


def test_missing_file(tmp_path: Path) -> None:
    result = run_cli("clean", str(tmp_path / "nope.txt"), str(good_file(tmp_path)))
    out, failed = accounted(result)
    assert result.returncode == 0 and failed == 1 and out[0]["text"] == GOOD
    assert messages(result) == [f"cleanseed: {tmp_path / 'nope.txt'}: cannot read: No such file or directory"]


def test_symlink_loop_is_unreadable(tmp_path: Path) -> None:
    # works as root too, unlike a permission bit
    (tmp_path / "loop.txt").symlink_to(tmp_path / "loop.txt")
    result = run_cli("clean", str(tmp_path / "loop.txt"), str(good_file(tmp_path)))
    out, failed = accounted(result)
    assert failed == 1 and len(out) == 1
    assert messages(result)[0].startswith(f"cleanseed: {tmp_path / 'loop.txt'}: cannot read:")


# Root reads anything: as root the command runs without the capabilities that bypass permission bits.
DROP_DAC = [
    "setpriv",
    "--inh-caps=-dac_override,-dac_read_search",
    "--bounding-set=-dac_override,-dac_read_search",
]


def run_without_dac(*args: str) -> subprocess.CompletedProcess[bytes]:
    if os.geteuid() != 0:
        return run_cli(*args)
    if not shutil.which("setpriv"):
        pytest.skip("running as root and setpriv is absent: cannot make a file unreadable")
    return subprocess.run([*DROP_DAC, *cleanseed_command(), *args], capture_output=True, timeout=60)


def test_unreadable_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("You may not read this.")
    secret.chmod(0)
    result = run_without_dac("clean", str(secret), str(good_file(tmp_path)))
    out, failed = accounted(result)
    assert failed == 1 and out[0]["text"] == GOOD
    assert messages(result) == [f"cleanseed: {secret}: cannot read: Permission denied"]


def test_unreadable_folder(tmp_path: Path) -> None:
    """A sub-folder that cannot be listed is named, not skipped in silence."""
    top = tmp_path / "top"
    (top / "a_locked").mkdir(parents=True)
    (top / "a_locked" / "inside.txt").write_text("Hidden.")
    (top / "a_locked").chmod(0)
    good_file(top)
    try:
        result = run_without_dac("clean", str(top))
    finally:
        (top / "a_locked").chmod(0o755)  # so pytest can clean up
    out, failed = accounted(result)
    assert failed == 1 and [r["text"] for r in out] == [GOOD]
    assert messages(result) == [f"cleanseed: {top / 'a_locked'}: cannot read: Permission denied"]


def test_folder_with_binary_files(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "a.bin").write_bytes(random.Random(1).randbytes(5000))
    (folder / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    (folder / "c.txt").write_text(GOOD)
    result = run_cli("clean", str(folder))
    out, failed = accounted(result)
    assert failed == 2 and [r["text"] for r in out] == [GOOD]
    assert messages(result) == [
        f"cleanseed: {folder / 'a.bin'}: binary file",
        f"cleanseed: {folder / 'b.png'}: binary file",
    ]


@pytest.mark.parametrize("content", [b"", b"  \n\t\n \r\n \xc2\xa0 \n"], ids=["empty", "whitespace"])
def test_empty_and_whitespace_files(tmp_path: Path, content: bytes) -> None:
    blank = tmp_path / "blank.txt"
    blank.write_bytes(content)
    result = run_cli("clean", str(blank), str(good_file(tmp_path)))
    out, failed = accounted(result)
    assert failed == 1 and out[0]["text"] == GOOD
    assert messages(result) == [f"cleanseed: {blank}: empty document"]


@pytest.mark.parametrize("name", ["blank.jsonl", "blank.jsonl.gz"])
def test_empty_jsonl_file_is_reported(tmp_path: Path, name: str) -> None:
    blank = tmp_path / name
    blank.write_bytes(gzip.compress(b"\n \n") if name.endswith(".gz") else b"")
    result = run_cli("clean", str(blank), str(good_file(tmp_path)))
    out, failed = accounted(result)
    assert failed == 1 and out[0]["text"] == GOOD
    assert messages(result) == [f"cleanseed: {blank}: empty file"]


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("Café crème brûlée, dit le chef français à Noël.".encode("cp1252"), "Café crème brûlée"),
        ("Müller und Söhne grüßen aus der Straße.".encode("latin-1"), "Müller und Söhne"),
        # detection needs a few sentences: a single short koi8-r line is misread
        (
            ("Привет, как дела у всех сегодня утром? Москва встретила весну холодным дождём. " * 2).encode(
                "koi8-r"
            ),
            "Привет",
        ),
        ("Pójdźmy, żółw gęślą jaźń, święta łódź.".encode("cp1250"), None),
        # short Latin-1 reads as cleanly in cp775 (DOS Baltic: "franńais"), far rarer on the web
        (
            "Ceci est un document en français, avec des accents: été, à côté, naïve.".encode("latin-1"),
            "français",
        ),
        (b"\xff\xfe\x00\xd8 lone bytes \xc3\x28 and \x80\x81 more words here.", "lone bytes"),
    ],
    ids=["cp1252", "latin1", "koi8r", "cp1250", "latin1-short", "garbage"],
)
def test_legacy_encodings_and_undecodable_bytes(tmp_path: Path, raw: bytes, want: str | None) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes(raw)
    result = run_cli("clean", str(path), str(good_file(tmp_path)))
    out, failed = accounted(result)
    assert result.returncode == 0 and failed == 0 and len(out) == 2
    assert out[0]["text"] and "\ufffd" not in out[0]["text"][:20] or want is None
    if want:
        assert want in out[0]["text"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-16-be-bom"])
def test_utf16_and_utf32_with_a_byte_order_mark_are_text(tmp_path: Path, encoding: str) -> None:
    text = "Grüße aus Köln, 日本語 too.\n\nA second paragraph."
    records = '{"id": "j1", "text": "Grüße aus Köln."}\n{"id": "j2", "text": "日本語のテキスト。"}\n'

    def encoded(s: str) -> bytes:
        return b"\xfe\xff" + s.encode("utf-16-be") if encoding == "utf-16-be-bom" else s.encode(encoding)

    (tmp_path / "doc.txt").write_bytes(encoded(text))
    (tmp_path / "rows.jsonl").write_bytes(encoded(records))
    result = run_cli("clean", str(tmp_path / "doc.txt"), str(tmp_path / "rows.jsonl"))
    out, failed = accounted(result)
    assert result.returncode == 0 and failed == 0
    assert [r["text"] for r in out] == [
        "Grüße aus Köln, 日本語 too.\n\nA second paragraph.",
        "Grüße aus Köln.",
        "日本語のテキスト。",
    ]


def test_arc_files_are_named_unsupported(tmp_path: Path) -> None:
    arc = tmp_path / "old.arc.gz"
    arc.write_bytes(gzip.compress(b"filedesc://old.arc 0.0.0.0 20240101000000 text/plain 70\n"))
    result = run_cli("clean", str(arc), str(good_file(tmp_path)))
    out, failed = accounted(result)
    assert failed == 1 and [r["text"] for r in out] == [GOOD]
    assert messages(result) == [f"cleanseed: {arc}: ARC, the format before WARC, is not supported"]


def test_mojibake_is_fixed(tmp_path: Path) -> None:
    path = tmp_path / "moji.txt"
    path.write_text("The cafÃ© serves crÃ¨me brÃ»lÃ©e â€” every day.", encoding="utf-8")
    out, failed = accounted(run_cli("clean", str(path)))
    assert failed == 0 and out[0]["text"] == "The café serves crème brûlée — every day."


def test_bad_jsonl_lines_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(
        b'{"text": "First good line of text here."}\n'
        b"{not json at all\n"
        b"[1, 2, 3]\n"
        b'"just a string"\n'
        b'{"body": "text in the wrong field"}\n'
        b'{"text": 42}\n'
        b'{"text": "Second good line of text here."}\n'
    )
    result = run_cli("clean", str(path))
    out, failed = accounted(result)
    assert [r["text"] for r in out] == ["First good line of text here.", "Second good line of text here."]
    assert failed == 5
    msgs = messages(result)
    assert [m.split(": ", 2)[1] for m in msgs] == [f"{path}:{n}" for n in (2, 3, 4, 5, 6)]
    assert "malformed JSON" in msgs[0] and "not an object" in msgs[1] and "not an object" in msgs[2]
    assert "no 'text' field" in msgs[3] and "not a string" in msgs[4]
    assert run_cli("clean", "--strict", str(path)).returncode == 3


def _lines(n: int) -> bytes:
    rng = random.Random(7)
    words = ["river", "stone", "market", "policy", "winter", "signal", "harbour", "ledger"]
    return b"".join(
        json.dumps(
            {
                "id": f"d{i}",
                "text": " ".join(rng.choice(words) + str(rng.randrange(10**6)) for _ in range(20)),
            }
        ).encode()
        + b"\n"
        for i in range(n)
    )


@pytest.mark.parametrize("codec", ["gz", "zst"])
def test_truncated_compressed_jsonl_keeps_what_was_readable(tmp_path: Path, codec: str) -> None:
    data = _lines(3000)
    if codec == "gz":
        packed = gzip.compress(data)
    else:  # two frames: the first whole, the second cut
        half = len(data) // 2
        packed = zstandard.ZstdCompressor().compress(data[:half]) + zstandard.ZstdCompressor().compress(
            data[half:]
        )
    path = tmp_path / f"cut.jsonl.{codec}"
    path.write_bytes(packed[: int(len(packed) * 0.8)])
    result = run_cli("clean", "--no-dedup", str(path), str(good_file(tmp_path)))
    out, failed = accounted(result)
    assert failed == 1 and out[-1]["text"] == GOOD
    ids = [r["id"] for r in out[:-1]]
    assert len(ids) > 1000 and ids == [f"d{i}" for i in range(len(ids))]  # a prefix, in order
    msgs = messages(result)
    assert len(msgs) == 1 and msgs[0].startswith(f"cleanseed: {path}:{len(ids) + 1}: truncated")


@pytest.mark.parametrize("codec", ["gz", "zst"])
def test_truncated_compressed_text(tmp_path: Path, codec: str) -> None:
    text = b"\n\n".join(json.loads(line)["text"].encode() + b"." for line in _lines(2000).splitlines())
    packed = gzip.compress(text) if codec == "gz" else zstandard.ZstdCompressor().compress(text)
    path = tmp_path / f"cut.txt.{codec}"
    path.write_bytes(packed[: int(len(packed) * 0.8)])
    result = run_cli("clean", "--no-dedup", str(path))
    out, failed = accounted(result)
    assert f"cleanseed: {path}: " in result.stderr.decode() and b"truncated" in result.stderr
    if codec == "gz":  # gzip gives back what it decoded: the document comes through, shorter
        assert failed == 0 and 0 < len(str(out[0]["text"])) < len(text)
    else:  # a one-frame zstd file decodes nothing, so the file fails as a whole, counted
        assert failed + len(out) == 1


@pytest.mark.parametrize("kind", ["jsonl", "txt"])
def test_small_truncated_gzip_keeps_what_was_readable(tmp_path: Path, kind: str) -> None:
    # a file smaller than one read buffer: the first look at its head read it all, met the cut,
    # and the whole file failed with nothing kept
    data = _lines(40) if kind == "jsonl" else b"Some readable text of a short file. " * 40
    path = tmp_path / f"cut.{kind}.gz"
    path.write_bytes(gzip.compress(data)[:-30])
    result = run_cli("clean", "--no-dedup", str(path), str(good_file(tmp_path)))
    out, failed = accounted(result)
    assert out[-1]["text"] == GOOD and b"truncated" in result.stderr
    if kind == "jsonl":
        assert failed == 1 and [r["id"] for r in out[:-1]] == [f"d{i}" for i in range(len(out) - 1)]
        assert len(out) > 30
    else:
        assert failed == 0 and str(out[0]["text"]).startswith("Some readable text")


def test_jsonl_record_nested_too_deep_to_write(tmp_path: Path) -> None:
    # orjson reads 1024 levels but writes 255: a deeper passed-through field ended the run at the write
    path = tmp_path / "deep.jsonl"
    deep = {
        "id": "deep",
        "text": "A record with a deeply nested field.",
        "x": json.loads("[" * 300 + "]" * 300),
    }
    path.write_text(json.dumps(deep) + "\n" + json.dumps({"id": "ok", "text": GOOD}) + "\n")
    result = run_cli("clean", str(path))
    out, failed = accounted(result)
    assert result.returncode == 0 and failed == 1 and [r["id"] for r in out] == ["ok"]
    assert messages(result) == [f"cleanseed: {path}:1: nested too deeply (over 254 levels)"]


def _huge_words(n: int) -> list[str]:
    rng = random.Random(3)
    return [f"w{rng.randrange(50000)}" for _ in range(n)]


def test_multi_megabyte_single_paragraph(tmp_path: Path) -> None:
    words = _huge_words(300_000)  # ~2 MB in one paragraph of 20-word sentences
    text = " ".join(
        ("The " if i % 20 == 0 else "") + w + ("." if i % 20 == 19 else "") for i, w in enumerate(words)
    )
    path = tmp_path / "huge.txt"
    path.write_text(text)
    result = run_cli("clean", str(path), str(path), str(good_file(tmp_path)), timeout=120)
    out, failed = accounted(result)
    assert failed == 0 and len(out) == 3
    assert out[0]["text"] == text
    assert out[1]["text"] == "" and out[1]["removed"][0]["reason"] == "duplicate"  # the copy
    assert out[2]["text"] == GOOD


def test_multi_megabyte_single_sentence_without_dedup(tmp_path: Path) -> None:
    text = " ".join(_huge_words(300_000))  # ~2 MB, not one full stop
    path = tmp_path / "huge.txt"
    path.write_text(text)
    out, failed = accounted(run_cli("clean", "--no-dedup", str(path), str(good_file(tmp_path))))
    assert failed == 0 and out[0]["text"] == text and out[1]["text"] == GOOD


def test_multi_megabyte_single_sentence_with_dedup(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_text(" ".join(_huge_words(300_000)))
    out, failed = accounted(run_cli("clean", str(path), str(good_file(tmp_path))))
    assert failed == 0 and len(out) == 2


# Long adversarial strings aimed at each furniture rule's patterns; each must finish quickly.
ADVERSARIAL = [
    "Share " * 50_000,
    "Facebook Twitter " * 20_000,
    "Comments " * 50_000,
    "Join the newsletter " * 20_000,
    "Subscribe " * 50_000,
    "cookie privacy copyright " * 20_000,
    "Related coverage " * 20_000,
    "Photo: Reuters " * 20_000,
    "By " * 80_000,
    "By John Smith and " * 20_000,
    "12 January 2020 " * 20_000,
    "a | " * 50_000,
    "..." * 100_000,
    "a" * 500_000,
    "U.S. " * 50_000,
    "Mr. " * 50_000,
    "\u00e9" * 200_000,
    "&amp;" * 50_000,
]


def test_pathological_repetition_runs_through_every_rule(tmp_path: Path) -> None:
    # each as one long paragraph, and cut into many short paragraphs that reach the rules
    short = "\n\n".join(s[: 40 + i] for i, s in enumerate(ADVERSARIAL * 60))
    docs = [{"id": f"a{i}", "text": s} for i, s in enumerate(ADVERSARIAL)] + [{"id": "short", "text": short}]
    path = tmp_path / "adversarial.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    result = run_cli("clean", str(path), timeout=110)
    out, failed = accounted(result)
    assert failed == 0 and [r["id"] for r in out] == [d["id"] for d in docs]


def test_closed_pipe_is_quiet(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    path.write_bytes(_lines(5000))
    cmd = " ".join(cleanseed_command()) + f" clean --no-dedup {path} | head -1"
    result = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(b"\n") == 1 and json.loads(result.stdout)["id"] == "d0"
    assert result.stderr == b""


def test_ctrl_c_exits_130_with_whole_lines(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [*cleanseed_command(), "clean", "--no-dedup", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    lines = iter(_lines(20000).splitlines(keepends=True))
    got = b""
    deadline = time.monotonic() + 60
    # feed slowly until output shows the command is working, then interrupt it mid-stream
    while not got and time.monotonic() < deadline:
        for _ in range(10):
            proc.stdin.write(next(lines))
        proc.stdin.flush()
        if select.select([proc.stdout], [], [], 0.02)[0]:
            got = os.read(proc.stdout.fileno(), 1 << 16)
    assert got, "no output before the interrupt"
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=60)
    output = got + rest
    assert proc.returncode == 130, err
    assert output.endswith(b"\n")
    ids = [json.loads(line)["id"] for line in output.splitlines()]
    assert ids == [f"d{i}" for i in range(len(ids))]
    assert b"interrupted" in err and b"Traceback" not in err


def test_html_nested_tens_of_thousands_deep(tmp_path: Path) -> None:
    (tmp_path / "deep.html").write_text(deep_html())
    result = run_cli("clean", str(tmp_path / "deep.html"), str(good_file(tmp_path)), timeout=110)
    out, failed = accounted(result)
    assert GOOD in out[-1]["text"]
    # the deep page is either extracted or counted as failed with its name, never a crash
    assert len(out) + failed == 2
    if failed:
        assert any("deep.html" in line for line in messages(result))


def test_entity_expansion_html_is_never_expanded(tmp_path: Path) -> None:
    (tmp_path / "bomb.html").write_text(entity_bomb_html())
    result = run_cli("clean", str(tmp_path / "bomb.html"), str(good_file(tmp_path)), timeout=110)
    out, failed = accounted(result)
    assert GOOD in out[-1]["text"]
    assert len(result.stdout) < 100_000 and b"lollollol" not in result.stdout


def test_unreachable_index_server_is_one_line_exit_1(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    result = run_cli("clean", "--index", f"redis://:hunter2@127.0.0.1:{closed}/0", str(good_file(tmp_path)))
    lines = result.stderr.decode().splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert "cannot reach the index" in lines[0] and "hunter2" not in lines[0] and result.stdout == b""


@pytest.mark.parametrize(
    "url",
    [
        "redis://",
        "redis://:hunter2@127.0.0.1:abc/0",
        "redis://127.0.0.1:99999",
        "redis://[::1",
        # a database that is not a number: redis-py took /x as database 0 and /1/2 as 12
        "redis://:hunter2@127.0.0.1:6379/x",
        "redis://127.0.0.1:6379/1/2",
        "redis://127.0.0.1:6379/-1",
    ],
)
def test_malformed_index_url_is_one_line_exit_1(tmp_path: Path, url: str) -> None:
    result = run_cli("clean", "--index", url, str(good_file(tmp_path)))
    lines = result.stderr.decode().splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert (
        lines[0].startswith("Error: bad index URL: ") and "hunter2" not in lines[0] and result.stdout == b""
    )


@pytest.mark.parametrize("url", ["http://[::1", "http://[not-an-address]/page", "https://[::1/a"])
def test_url_that_does_not_parse(tmp_path: Path, url: str) -> None:
    # urlsplit raises ValueError on these: the whole run ended in a traceback (the recurring-block
    # stage takes the site from each record's url), and a page naming one as canonical lost its text
    body = "A paragraph of body text about the harbour and its ships, long enough to be content."
    src = tmp_path / "in.jsonl"
    page = f'<html><head><link rel="canonical" href="{url}"></head><body><p>{body}</p></body></html>'
    src.write_text(
        json.dumps({"text": "Plain text with its own words, from a site whose address is odd.", "url": url})
        + "\n"
        + json.dumps({"html": page})
        + "\n"
        + json.dumps({"text": GOOD})
        + "\n"
    )
    html = tmp_path / "page.html"
    other = "Another paragraph, in a page file, about the bridge that reopened after its repairs."
    html.write_text(page.replace(body, other))
    result = run_cli("clean", str(src), str(html))
    out, failed = accounted(result)
    assert result.returncode == 0 and failed == 0 and messages(result) == []
    assert [o["text"] for o in out] == [
        "Plain text with its own words, from a site whose address is odd.",
        body,
        GOOD,
        other,
    ]
    assert [o["url"] for o in out] == [url, url, None, url]


def test_input_that_is_the_output_file_is_not_read(tmp_path: Path) -> None:
    # `cleanseed clean dir/ > dir/out.jsonl` read its own output as it grew and never ended (it
    # was at 1 GB when stopped); like cat and grep, such an input is refused, named, and counted
    good_file(tmp_path)
    out_path = tmp_path / "out.jsonl"
    for args in ([str(tmp_path)], [str(out_path), "-"]):
        with open(out_path, "wb") as out, open(out_path, "rb") as stdin:
            proc = subprocess.run(
                [*cleanseed_command(), "clean", *args],
                stdout=out,
                stdin=stdin,
                stderr=subprocess.PIPE,
                timeout=60,
            )
        assert proc.returncode == 0
        result = subprocess.CompletedProcess(proc.args, 0, out_path.read_bytes(), proc.stderr)
        out, failed = accounted(result)
        refused = [
            f"cleanseed: {name}: input file is the output file" for name in ([str(out_path)] + args[1:])
        ]
        assert messages(result) == refused
        assert [o["text"] for o in out] == ([GOOD] if len(args) == 1 else []) and failed == len(refused)


def test_stray_nul_in_utf8_text_or_html_keeps_the_text(tmp_path: Path) -> None:
    """A scraped page or text with a stray NUL byte (seen in crawls) is text, the NUL dropped;
    bytes that are not UTF-8 text around their NULs stay binary, and so do images."""
    page = (
        "<html><body><article><p>"
        + GOOD
        + "</p><p>Second paragraph, caf\u00e9 au lait.</p></article></body></html>"
    )
    (tmp_path / "a.html").write_bytes(page.encode().replace(b"<p>", b"<p>\x00", 1))
    (tmp_path / "b.txt").write_bytes(GOOD.encode() + b"\x00\n\nA second paragraph of the note.\n")
    (tmp_path / "b2.txt").write_bytes(b"Hello world, a short note.\x00 More text.\n")  # under 100 bytes
    rng = random.Random(3)
    (tmp_path / "c.dat").write_bytes(bytes(rng.choice(b"\x00abcdef\xe9\xff") for _ in range(4000)))
    (tmp_path / "d.txt").write_bytes(("caf\u00e9 " * 50).encode("utf-16-le"))  # no BOM: half NULs
    result = run_cli("clean", "--no-dedup", str(tmp_path))
    out, failed = accounted(result)
    assert failed == 2, result.stderr
    assert out[0]["text"].startswith(GOOD) and "caf\u00e9 au lait" in out[0]["text"]
    assert out[1]["text"] == GOOD + "\n\nA second paragraph of the note."
    assert out[2]["text"] == "Hello world, a short note. More text."
    assert "\x00" not in out[0]["text"] + out[1]["text"]
    assert messages(result) == [
        f"cleanseed: {tmp_path / 'c.dat'}: binary file",
        f"cleanseed: {tmp_path / 'd.txt'}: binary file",
    ]
