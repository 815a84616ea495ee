"""Indexes: the compact in-memory one against a brute-force reference, the file, a real Redis."""

import io
import json
import os
import shutil
import signal
import stat
import subprocess
import zipfile

import numpy as np
import pytest
from conftest import SEEDS, cleanseed_command, run_cli
from redis_server import start_redis

import cleanseed.index as ix
from cleanseed.config import DedupConfig
from cleanseed.dedup import Signer, bbit
from cleanseed.errors import IndexError_
from cleanseed.index import FileIndex, MemoryIndex, memory, open_index, runs


def _random_docs(signer, n_docs, seed=0):
    """Documents of 1-5 random shingle sets, half of them reusing an earlier set."""
    rng = np.random.default_rng(seed)
    seen = []
    for _ in range(n_docs):
        sets = [
            rng.integers(0, 2**32, int(rng.integers(3, 20)), dtype=np.uint64).astype(np.uint32)
            for _ in range(int(rng.integers(1, 6)))
        ]
        if seen and rng.random() < 0.5:
            sets[0] = seen[int(rng.integers(0, len(seen)))]
        seen.extend(sets)
        sig = signer.signatures(sets)
        yield (
            signer.band_keys(sig),
            (sig & 0xFF).astype(np.uint8),
            np.array([len(s) for s in sets], np.uint16),
        )


@pytest.mark.parametrize("keyed", [0, 300])  # binary search in every run; explicit keys in small ones
@pytest.mark.parametrize("num_perm,bands", [(64, 16), (64, 32), (128, 16)])
def test_memory_index_finds_exactly_the_items_sharing_a_band(monkeypatch, num_perm, bands, keyed):
    # tunables are patched in the module that reads them
    monkeypatch.setattr(memory, "BUFFER_ITEMS", 37)  # many runs and merges
    monkeypatch.setattr(memory, "MAX_RUN_ITEMS", 600)
    monkeypatch.setattr(runs, "KEYED_RUN_ITEMS", keyed)
    signer = Signer(num_perm, bands)
    index = MemoryIndex(num_perm, bands)
    reference: dict = {}  # (band, band value) -> items: what the index promises to find
    truth: dict = {}  # (band, band key) -> items: equal bands, which must all be among them
    for d, (keys, sig8, sizes) in enumerate(_random_docs(signer, 700)):
        found = index.query(keys, sig8)
        values = index._values(keys, index._packed(sig8))
        for r in range(len(sig8)):
            want, must = set(), set()
            for b in range(bands):
                want |= reference.get((b, int(values[r, b])), set())
                must |= truth.get((b, int(keys[r, b])), set())
            assert found[r].tolist() == sorted(want) and must <= want
        start = len(index)
        index.add(keys, sig8, sizes, f"doc{d}", list(range(len(sig8))))
        for r in range(len(sig8)):
            for b in range(bands):
                reference.setdefault((b, int(values[r, b])), set()).add(start + r)
                truth.setdefault((b, int(keys[r, b])), set()).add(start + r)
    assert len(index._runs) > 2
    assert index.where(0) == ("doc0", 0)
    assert index.signatures(np.array([0]))[0].tolist() == bbit(next(_random_docs(signer, 1))[1])[0].tolist()
    # saved and loaded: the same answers
    again = MemoryIndex(num_perm, bands)
    again.load_arrays(index.arrays())
    for keys, sig8, _ in _random_docs(signer, 50, seed=1):
        assert [a.tolist() for a in again.query(keys, sig8)] == [a.tolist() for a in index.query(keys, sig8)]


def test_memory_index_is_compact(monkeypatch):
    monkeypatch.setattr(runs, "KEYED_RUN_ITEMS", 0)  # small runs' explicit keys: a bounded extra
    signer = Signer()
    index = MemoryIndex(64, 16)
    for d, (keys, sig8, sizes) in enumerate(_random_docs(signer, 6000)):
        index.add(keys, sig8, sizes, f"doc-{d:06d}", list(range(len(sig8))))
    index._flush()
    directories = sum(r.dir.nbytes for r in index._runs if r.dir is not None)
    assert directories <= len(index._runs) * 16 * ((1 << ix.PREFIX_BITS) + 1) * 4  # 1 MB a run
    assert (index.nbytes - directories) / len(index) < 80  # 32 signature bytes + 16 x 2-byte ids + a little


def test_file_index_round_trip_and_atomic_write(tmp_path, monkeypatch):
    path = tmp_path / "seen.idx"
    config = DedupConfig(index=str(path))
    index = open_index(config)
    assert isinstance(index, FileIndex) and not path.exists()
    keys, sig8, sizes = next(_random_docs(Signer(), 1))
    index.add(keys, sig8, sizes, "first", list(range(len(sig8))))
    index.close()
    with zipfile.ZipFile(path) as zf:
        header = json.loads(zf.read("header.json"))
    assert header["options"] == {"num_perm": 64, "bands": 16, "seed": 1, "shingle": 2}
    saved = path.read_bytes()
    # a write that dies half way leaves the previous file whole, and no temporary file
    index = open_index(config)
    assert len(index) == len(sig8) and index.where(0) == ("first", 0)
    index.add(keys, sig8, sizes, "second", list(range(len(sig8))))
    real = np.lib.format.write_array
    calls = []

    def dying(fh, arr, **kw):
        calls.append(1)
        if len(calls) == 3:  # a few arrays written, then Ctrl-C
            raise KeyboardInterrupt
        real(fh, arr, **kw)

    monkeypatch.setattr(np.lib.format, "write_array", dying)
    with pytest.raises(KeyboardInterrupt):
        index.close()
    assert path.read_bytes() == saved
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seen.idx"]


def test_file_index_errors(tmp_path):
    bad = tmp_path / "bad.idx"
    bad.write_text("not an index")
    with pytest.raises(IndexError_, match="cannot read index"):
        open_index(DedupConfig(index=str(bad)))
    old = tmp_path / "old.idx"  # an index of 8-bit signatures, before the format changed
    with zipfile.ZipFile(old, "w") as zf:
        zf.writestr(
            "header.json", json.dumps({"format": "cleanseed-index", "version": 1, "arrays": ["sig8"]})
        )
    with pytest.raises(IndexError_, match="is a version 1 index; this cleanseed reads version 2"):
        open_index(DedupConfig(index=str(old)))
    good = tmp_path / "good.idx"
    open_index(DedupConfig(index=str(good))).close()
    with pytest.raises(IndexError_, match=r"other signature options: seed 1 \(now 5\)"):
        open_index(DedupConfig(index=str(good), seed=5))


def test_cli_rewritten_index_keeps_its_mode_and_a_new_one_follows_the_umask(tmp_path):
    """The file is written to a temporary file and renamed: the mode must not be the temporary's."""
    path = tmp_path / "seen.idx"

    def clean(seed, umask):
        result = subprocess.run(
            [*cleanseed_command(), "clean", "-q", "--index", str(path), str(seed)],
            capture_output=True,
            preexec_fn=lambda: os.umask(umask),
        )
        assert result.returncode == 0, result.stderr
        return stat.S_IMODE(path.stat().st_mode)

    assert clean(SEEDS[0], 0o002) == 0o664  # new: as any new file under the umask
    path.chmod(0o640)
    assert clean(SEEDS[1], 0o077) == 0o640  # replaced: the previous file's mode
    path.chmod(0o604)
    assert clean(SEEDS[0], 0o022) == 0o604


def _index_with_every_kind_of_run(path):
    """A file index of random items, written by the code under test: a run of 66,000 items (a
    directory, 20-bit ids) and a keyed run of 90; document ids with a two-byte character."""
    rng = np.random.default_rng(3)
    index = open_index(DedupConfig(index=str(path)))

    def docs(first, n):
        return [
            (
                rng.integers(0, 2**63, (30, 16), dtype=np.uint64) * 2,
                rng.integers(0, 256, (30, 64), dtype=np.uint8),
                np.full(30, 9, dtype=np.uint16),
                f"doc-\u00e9-{first + d}",
                list(range(30)),
            )
            for d in range(n)
        ]

    index.add_batch(docs(0, 2200))
    index.add_batch(docs(2200, 3))
    assert [(r.m, r.hi is not None, r.keys is not None) for r in index._runs] == [
        (66000, True, False),
        (90, False, True),
    ]
    index.close()


def _put(arr, at, value):
    arr[at] = value


# ways to make a well-formed index file inconsistent: what changes (header, arrays), the error's words
_DAMAGE = {
    "header a list": (lambda h, a: [h], "header.json is not a JSON object"),
    "arrays not a list": (lambda h, a: h.update(arrays=5), "header.json: 'arrays' is not a list of names"),
    "items None": (lambda h, a: h.update(items=None), "header.json: 'items' is None, the arrays hold 66090"),
    "documents off": (
        lambda h, a: h.update(documents=7),
        "header.json: 'documents' is 7, the arrays hold 2203",
    ),
    "options a list": (lambda h, a: h.update(options=[]), "header.json: 'options' is not a JSON object"),
    "array missing": (lambda h, a: h["arrays"].remove("sizes") or a.pop("sizes"), "array sizes is missing"),
    "array extra": (
        lambda h, a: h["arrays"].append("run7_ids") or a.update(run7_ids=a["run1_ids"]),
        "unexpected arrays: run7_ids",
    ),
    "sizes int8": (lambda h, a: a.update(sizes=a["sizes"].astype(np.int8)), "sizes is int8"),
    "sig4 narrow": (lambda h, a: a.update(sig4=a["sig4"][:, :31]), "sig4 is uint8 of shape (66090, 31)"),
    "paras short": (lambda h, a: a.update(paras=a["paras"][:-1]), "paras has 66089 entries for 66090 items"),
    "not UTF-8": (lambda h, a: _put(a["doc_bytes"], 4, 0xFF), "document ids are not UTF-8"),
    "cut mid-character": (lambda h, a: _put(a["doc_off"], 1, 13), "doc_off cuts a character"),
    "doc_off short": (lambda h, a: a.update(doc_off=a["doc_off"][:-1]), "doc_off has 2203 entries for 2203"),
    "doc_off back": (lambda h, a: _put(a["doc_off"], 2, 3), "doc_off goes back"),
    "doc_off past": (
        lambda h, a: _put(a["doc_off"], -1, 10**6),
        "doc_off does not run from 0 to the 23123 bytes",
    ),
    "doc_first long": (
        lambda h, a: a.update(doc_first=np.tile(a["doc_first"], 2)),
        "doc_off has 2204 entries for 4406 documents",
    ),
    "doc_first flat": (
        lambda h, a: _put(a["doc_first"], 5, a["doc_first"][4]),
        "doc_first is not increasing",
    ),
    "doc_first past": (lambda h, a: _put(a["doc_first"], -1, 66090), "doc_first does not start at 0 or"),
    "runs 1-d": (lambda h, a: a.update(runs=a["runs"].reshape(-1)), "runs is uint64 of shape (4,)"),
    "runs float": (lambda h, a: a.update(runs=a["runs"].astype(np.float64)), "runs is float64"),
    "runs short": (lambda h, a: _put(a["runs"], (1, 1), 89), "runs do not cover the items"),
    "keyed id": (lambda h, a: _put(a["run1_ids"], 7, 65535), "run 1 has item ids past its 90 items"),
    "20-bit id": (lambda h, a: _put(a["run0_hi"], 9, 0xFF), "run 0 has item ids past its 66000 items"),
    "keys float": (
        lambda h, a: a.update(run1_keys=a["run1_keys"].astype(np.float64)),
        "run1_keys is float64",
    ),
    "keys unsorted": (
        lambda h, a: _put(a["run1_keys"], slice(0, 2), a["run1_keys"][1::-1]),
        "run1_keys are not",
    ),
    "keys band": (lambda h, a: _put(a["run1_keys"], -1, a["run1_keys"][-1] + (1 << 48)), "run1_keys are not"),
    "dir back": (lambda h, a: _put(a["run0_dir"], (3, 100), 0), "run0_dir is not"),
    "dir past": (lambda h, a: _put(a["run0_dir"], (3, -1), 70000), "run0_dir is not"),
    "hi short": (lambda h, a: a.update(run0_hi=a["run0_hi"][:100]), "run0_hi is uint8 of shape (100,)"),
}


def _damage(good, bad, what):
    """`good` with one `_DAMAGE` done, as `bad`."""
    with zipfile.ZipFile(good) as zf:
        header = json.loads(zf.read("header.json"))
        arrays = {n: np.lib.format.read_array(zf.open(n + ".npy")) for n in header["arrays"]}
    raw = {}
    if what == "npy header":  # claims more data than it holds: no 36 TiB allocation
        buf = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            buf, {"descr": "<u4", "fortran_order": False, "shape": (10**13,)}
        )
        raw["paras.npy"] = buf.getvalue() + bytes(16)
        del arrays["paras"]
    else:
        replaced = _DAMAGE[what][0](header, arrays)  # changed in place, or a new header
        header = replaced if isinstance(replaced, list) else header
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("header.json", json.dumps(header))
        for name, arr in arrays.items():
            with zf.open(name + ".npy", "w") as fh:
                np.lib.format.write_array(fh, arr)
        for name, data in raw.items():
            zf.writestr(name, data)


def test_damaged_index_file_is_one_error_at_open(tmp_path):
    """Every array checked against the header and the others when the file is opened: a clear
    error, not a traceback at open or, worse, in the middle of the run after some output."""
    good, bad = tmp_path / "good.idx", tmp_path / "bad.idx"
    _index_with_every_kind_of_run(good)
    open_index(DedupConfig(index=str(good)))  # the file as written opens
    cases = {what: words for what, (_, words) in _DAMAGE.items()}
    cases["npy header"] = "paras.npy claims 40000000000000 bytes of data"
    for what, words in cases.items():
        _damage(good, bad, what)
        with pytest.raises(IndexError_) as err:
            open_index(DedupConfig(index=str(bad)))
        assert str(err.value).startswith(f"index file {bad} is damaged: ") and words in str(err.value), what


@pytest.mark.parametrize("what", ["header a list", "not UTF-8", "keyed id"])
def test_cli_damaged_index_file_is_one_line_exit_1_before_output(tmp_path, what):
    good, bad = tmp_path / "good.idx", tmp_path / "bad.idx"
    _index_with_every_kind_of_run(good)
    _damage(good, bad, what)
    saved = bad.read_bytes()
    result = run_cli("clean", "-q", "-j", "1", "--index", str(bad), *map(str, SEEDS))
    assert result.returncode == 1 and result.stdout == b""
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: index file {bad} is damaged: "), lines
    assert bad.read_bytes() == saved


def test_cli_second_run_finds_the_first_runs_paragraphs(tmp_path):
    path = tmp_path / "seen.idx"
    first = run_cli("clean", "-q", "--index", str(path), str(SEEDS[0]))
    assert first.returncode == 0 and json.loads(first.stdout)["text"]
    second = run_cli("clean", "-q", "--index", str(path), str(SEEDS[1]))
    both = run_cli("clean", "-q", *map(str, SEEDS))
    assert second.stdout == both.stdout.splitlines(keepends=True)[1]  # as if in one run
    again = json.loads(run_cli("clean", "-q", "--index", str(path), str(SEEDS[0])).stdout)
    assert again["text"] == "" and again["duplicate_of"] == str(SEEDS[0])


def test_cli_index_through_a_symlink_updates_its_target(tmp_path):
    """The index file a symlink names is rewritten, in its own directory; the link stays a link."""
    store = tmp_path / "store"
    store.mkdir()
    target = store / "seen.idx"
    assert run_cli("clean", "-q", "--index", str(target), str(SEEDS[0])).returncode == 0
    link = tmp_path / "current.idx"
    link.symlink_to(target)
    second = run_cli("clean", "-q", "--index", str(link), str(SEEDS[1]))
    assert second.returncode == 0, second.stderr
    assert link.is_symlink() and link.resolve() == target
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current.idx", "store"]  # no stray temp
    again = run_cli("clean", "-q", "--index", str(target), str(SEEDS[1]))
    assert json.loads(again.stdout)["duplicate_of"] == str(SEEDS[1])  # the second run's text is in it


def test_cli_index_that_is_a_symlink_loop_fails_at_open(tmp_path):
    (tmp_path / "a.idx").symlink_to(tmp_path / "b.idx")
    (tmp_path / "b.idx").symlink_to(tmp_path / "a.idx")
    result = run_cli("clean", "-q", "--index", str(tmp_path / "a.idx"), str(SEEDS[0]))
    lines = result.stderr.decode().splitlines()
    assert result.returncode == 1 and result.stdout == b"" and len(lines) == 1, result.stderr
    assert "cannot write index" in lines[0] and "symbolic links" in lines[0]


def test_cli_signature_options_mismatch_is_one_line_exit_1(tmp_path):
    path = tmp_path / "seen.idx"
    assert run_cli("clean", "-q", "--index", str(path), str(SEEDS[0])).returncode == 0
    cfg = tmp_path / "c.toml"
    cfg.write_text("[dedup]\nnum_perm = 128\n")
    result = run_cli("clean", "-q", "--config", str(cfg), "--index", str(path), str(SEEDS[1]))
    assert result.returncode == 1 and result.stdout == b""
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and "other signature options: num_perm 64 (now 128)" in lines[0]


def test_cli_index_that_cannot_be_written_fails_at_open(tmp_path):
    """Before any input is read or output written, not at the end of the run; nothing is created."""
    (tmp_path / "a_file").write_text("x")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    cases = {
        tmp_path / "no" / "such" / "seen.idx": "no such directory",
        tmp_path / "a_file" / "seen.idx": "is not a directory",
        tmp_path: "is not a regular file",
        fifo: "is not a regular file",
    }
    if os.geteuid() != 0:  # root writes anywhere
        cases[locked / "seen.idx"] = "is not writable"
    for path, why in cases.items():
        result = run_cli("clean", "-q", "--index", str(path), str(SEEDS[0]), timeout=30)
        assert result.returncode == 1 and result.stdout == b"", path
        lines = result.stderr.decode().splitlines()
        assert len(lines) == 1 and f"cannot write index {path}: " in lines[0] and why in lines[0], lines
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "fifo", "locked"]
    assert list(locked.iterdir()) == []


def _big_jsonl(path, n=4000):
    path.write_text(
        "".join(
            json.dumps(
                {"text": f"Paragraph {i} tells of the harbour and the {i % 97} boats that sailed at dawn."}
            )
            + "\n"
            for i in range(n)
        )
    )


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_cli_interrupted_run_leaves_the_previous_index(tmp_path, how):
    path = tmp_path / "seen.idx"
    assert run_cli("clean", "-q", "--index", str(path), str(SEEDS[0])).returncode == 0
    saved = path.read_bytes()
    big = tmp_path / "big.jsonl"
    _big_jsonl(big, 200_000)
    proc = subprocess.Popen(
        [*cleanseed_command(), "clean", "-q", "-j", "1", "--index", str(path), str(big)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    proc.stdout.readline()  # running, index loaded
    proc.send_signal(how)
    proc.communicate(timeout=60)
    assert proc.returncode == (-9 if how == signal.SIGKILL else 130)
    assert path.read_bytes() == saved
    if how == signal.SIGINT:
        assert sorted(p.name for p in tmp_path.iterdir()) == ["big.jsonl", "seen.idx"]


# ---- a real Redis ----


@pytest.fixture
def redis_url(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server; .ci/run does)")
    pytest.importorskip("redis", reason="the redis client is not installed (pip install 'cleanseed[redis]')")
    started = start_redis(tmp_path)
    assert started is not None
    proc, url = started
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def test_redis_second_run_finds_the_first_runs_paragraphs(redis_url):
    assert run_cli("clean", "-q", "--index", redis_url, str(SEEDS[0])).returncode == 0
    second = run_cli("clean", "-q", "--index", redis_url, str(SEEDS[1]))
    both = run_cli("clean", "-q", *map(str, SEEDS))
    assert second.stdout == both.stdout.splitlines(keepends=True)[1]


def test_redis_options_mismatch(redis_url, tmp_path):
    """(An unreachable server: tests/test_badinput.py, which runs without redis-server.)"""
    assert run_cli("clean", "-q", "--index", redis_url, str(SEEDS[0])).returncode == 0
    cfg = tmp_path / "c.toml"
    cfg.write_text("[dedup]\nseed = 3\n")
    result = run_cli("clean", "-q", "--config", str(cfg), "--index", redis_url, str(SEEDS[1]))
    assert result.returncode == 1 and b"other signature options" in result.stderr


def test_two_processes_share_one_redis(redis_url, tmp_path, shared):
    """Halves of the dev stream, interleaved, cleaned at once by two processes against one index.

    The halves are fed through standard input a few documents at a time, in turn, so the two
    runs overlap however long each takes to start (files would let one finish first).
    """
    lines = (shared / "eval" / "neardup-dev" / "input.jsonl").read_bytes().splitlines(keepends=True)
    halves = [lines[0::2], lines[1::2]]
    sinks = [open(tmp_path / f"out{k}.jsonl", "w+b") for k in (0, 1)]  # not pipes: nobody drains them
    errs = [open(tmp_path / f"err{k}.txt", "w+b") for k in (0, 1)]
    procs = [
        subprocess.Popen(
            [*cleanseed_command(), "clean", "-q", "-j", "1", "--index", redis_url, "-"],
            stdin=subprocess.PIPE,
            stdout=sinks[k],
            stderr=errs[k],
        )
        for k in (0, 1)
    ]
    for start in range(0, max(map(len, halves)), 8):
        for proc, half in zip(procs, halves):
            assert proc.stdin is not None
            proc.stdin.write(b"".join(half[start : start + 8]))
            proc.stdin.flush()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=600)
    outs = []
    for sink, err in zip(sinks, errs):
        sink.seek(0)
        err.seek(0)
        outs.append((sink.read(), err.read()))
        sink.close()
        err.close()
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    docs = [json.loads(line) for out, _ in outs for line in out.splitlines()]
    assert len(docs) == len(lines)
    # each process removed duplicates whose earlier copy only the other process had seen
    ids = [{json.loads(line)["id"] for line in out.splitlines()} for out, _ in outs]
    for mine, theirs in ((0, 1), (1, 0)):
        removed_of = {
            e["of"]["id"]
            for line in outs[mine][0].splitlines()
            for e in json.loads(line)["removed"]
            if e["reason"] == "duplicate"
        }
        assert removed_of & ids[theirs]


def _dev_records(shared, n=120):
    from cleanseed.readers import split_blocks
    from cleanseed.record import Record

    lines = (shared / "eval" / "neardup-dev" / "input.jsonl").read_text(encoding="utf-8").splitlines()[:n]
    return [
        Record(id=str(i), source="dev", paragraphs=split_blocks(json.loads(x)["text"]))
        for i, x in enumerate(lines)
    ]


def _judged(stage, records, batch):
    for at in range(0, len(records), batch):
        stage.judge_many([(r, None) for r in records[at : at + batch]])
    return [r.to_dict() for r in records]


@pytest.mark.parametrize("batch", [7, 64])
def test_batches_judge_exactly_as_one_document_at_a_time(shared, batch):
    """Within a batch, earlier documents' kept sentences are candidates, as if indexed already."""
    from cleanseed.dedup import NearDuplicates

    one = _judged(NearDuplicates(DedupConfig()), _dev_records(shared), 1)
    many = _judged(NearDuplicates(DedupConfig()), _dev_records(shared), batch)
    assert many == one
    assert sum(e["reason"] == "duplicate" for d in one for e in d["removed"]) > 50


def test_redis_commit_refused_when_another_process_added_meanwhile(redis_url, shared, monkeypatch):
    from cleanseed.dedup import NearDuplicates

    config = DedupConfig(index=redis_url)
    a, b = NearDuplicates(config), NearDuplicates(config)  # two processes, both caught up (empty)
    first, copy = _dev_records(shared, 1), _dev_records(shared, 1)
    copy[0].id = "copy"
    b.judge(first[0])  # b keeps the passage and appends it to the log
    monkeypatch.setattr(a.index, "sync", lambda force=False: None)  # a judges a stale replica...
    a.judge(copy[0])  # ...its commit is refused, it takes b's segment and judges again
    dups = [e for e in copy[0].removed if e["reason"] == "duplicate"]
    assert len(dups) > 5 and all(e["of"]["id"] == "0" for e in dups)
    b.index.sync(force=True)
    assert len(a.index) == len(b.index)  # the same log, in the same order
    assert a.index.where(len(a.index) - 1) == b.index.where(len(b.index) - 1)


def test_redis_index_of_an_older_version_is_a_clear_error(redis_url):
    import redis

    port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    redis.Redis(port=port).hset(
        "cleanseed:meta", "options", json.dumps({"format": "cleanseed-index", "version": 1})
    )
    with pytest.raises(IndexError_, match="is a version 1 index; this cleanseed reads version 2"):
        open_index(DedupConfig(index=redis_url))


@pytest.mark.parametrize(
    "meta, log, want",
    [
        (b"not json", [], "holds a cleanseed:meta that is not a cleanseed index's"),
        (b"[1, 2]", [], "holds a cleanseed:meta that is not a cleanseed index's"),
        (b"\xff\xfe", [], "holds a cleanseed:meta that is not a cleanseed index's"),
        (None, [b"garbage"], "is damaged: segment 0 of cleanseed:log"),
        (
            None,
            [b"\x01\x00\x00\x00\x01\x00\x00\x00" + b"\x00" * 200],
            "is damaged: segment 0 of cleanseed:log",
        ),
    ],
)
def test_redis_keys_cleanseed_did_not_write_are_one_line_exit_1(redis_url, meta, log, want):
    # were tracebacks: JSONDecodeError or AttributeError from the meta, ValueError from a segment
    import redis

    client = redis.Redis.from_url(redis_url)
    if meta is None:  # a well-formed meta, as this cleanseed writes it, over a damaged log
        assert run_cli("clean", "-q", "--index", redis_url, str(SEEDS[0])).returncode == 0
        client.delete("cleanseed:log")
    else:
        client.hset("cleanseed:meta", "options", meta)
    if log:
        client.rpush("cleanseed:log", *log)
    result = run_cli("clean", "-q", "--index", redis_url, str(SEEDS[1]))
    err = result.stderr.decode()
    assert result.returncode == 1 and result.stdout == b"" and "Traceback" not in err
    assert len(err.splitlines()) == 1 and want in err, err
