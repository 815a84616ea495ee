import gzip

import zstandard

from cleanseed.readers import expand_inputs, read_sources, split_blocks


def test_blocks_by_blank_lines_else_by_lines():
    assert split_blocks("a\nb\n\nc") == ["a\nb", "c"]
    assert split_blocks("a\nb\r\nc") == ["a", "b", "c"]


def test_jsonl_fields_passed_through_and_errors_named(tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_text('{"id": 7, "text": "Hello there.", "lang": "en"}\n{bad\n[1]\n{"body": "x"}\n')
    recs = list(read_sources([str(p)]))
    assert [r.id for r in recs] == ["7", f"{p}:2", f"{p}:3", f"{p}:4"]
    assert recs[0].paragraphs == ["Hello there."] and recs[0].extra == {"lang": "en"}
    assert recs[1].error.startswith("malformed JSON")
    assert "not an object" in recs[2].error
    assert recs[3].error == "no 'text' field"


def test_compressed_jsonl_and_truncation(tmp_path):
    lines = b"".join(b'{"text": "document %d"}\n' % i for i in range(2000))
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(lines))
    (tmp_path / "b.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(lines))
    assert len(list(read_sources([str(tmp_path / "a.jsonl.gz")]))) == 2000
    assert len(list(read_sources([str(tmp_path / "b.jsonl.zst")]))) == 2000
    (tmp_path / "c.jsonl.gz").write_bytes(gzip.compress(lines)[:-400])
    recs = list(read_sources([str(tmp_path / "c.jsonl.gz")]))
    assert recs[-1].error.startswith("truncated") and len(recs) > 1000


def test_folders_sorted_missing_binary_empty(tmp_path):
    (tmp_path / "b.txt").write_text("second")
    (tmp_path / "a.txt").write_text("first")
    (tmp_path / "c.bin").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "d.txt").write_text("  \n")
    recs = list(read_sources([str(tmp_path), str(tmp_path / "nope.txt")]))
    assert [r.paragraphs or r.error for r in recs] == [
        ["first"],
        ["second"],
        "binary file",
        "empty document",
        "cannot read: No such file or directory",
    ]


def test_legacy_encoding_decoded(tmp_path):
    (tmp_path / "l.txt").write_bytes("Café crème à la française, déjà vu.".encode("cp1252"))
    (rec,) = read_sources([str(tmp_path / "l.txt")])
    assert rec.paragraphs == ["Café crème à la française, déjà vu."]


def test_globs_expand_sorted(tmp_path):
    for n in ("x2.txt", "x1.txt"):
        (tmp_path / n).write_text(n)
    assert list(expand_inputs([str(tmp_path / "x*.txt")])) == [
        str(tmp_path / "x1.txt"),
        str(tmp_path / "x2.txt"),
    ]
