"""Property tests: arbitrary text and bytes at every stage never raise and keep the contract."""

from __future__ import annotations

import gzip
import io
import json
import re

import orjson
import zstandard
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cleanseed.config import DedupConfig, load_config
from cleanseed.dedup import NearDuplicates
from cleanseed.furniture import strip_furniture
from cleanseed.normalize import normalize_paragraphs
from cleanseed.pipeline import run
from cleanseed.readers import read_stream
from cleanseed.record import Record
from cleanseed.writer import to_line

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text that looks like scraped documents often enough to reach the rules: words, furniture
# phrases, dates, punctuation and odd characters, with arbitrary unicode mixed in.
PIECES = st.sampled_from(
    [
        "Share this story",
        "Facebook",
        "Twitter",
        "Comments",
        "Join the newsletter",
        "By John Smith",
        "Related coverage",
        "Photo: Reuters",
        "May 18, 2022 3:34 pm",
        "U.S.",
        "Mr.",
        "The",
        "NATO",
        "|",
        "...",
        "…",
        ".",
        "\n",
        "\n\n",
        " ",
        "\t",
        "\u00a0",
        "\u200b",
        "Ã©",
        "&amp;",
        "\x1b[31m",
        "\r\n",
        "é",
    ]
)
WORDS = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12)
TEXT = st.lists(st.one_of(PIECES, WORDS), max_size=40).map(" ".join)
PARAGRAPHS = st.lists(TEXT, max_size=12)


def well_formed(paragraphs: list[str], lines: bool = False) -> None:
    """Non-empty, stripped; one line each after normalization (readers keep a block's lines)."""
    for p in paragraphs:
        assert p and p == p.strip() and (lines or "\n" not in p)


@FAST
@given(
    data=st.one_of(st.binary(max_size=600), TEXT.map(lambda t: t.encode("utf-8", "surrogatepass"))),
    name=st.sampled_from(["a.txt", "a.jsonl", "a.html", "a.bin", "-"]),
    wrap=st.sampled_from(["none", "gzip", "zstd", "gzip-cut", "zstd-cut", "jsonl"]),
)
def test_read_stream_never_raises(data: bytes, name: str, wrap: str) -> None:
    if wrap == "jsonl":
        data = b'{"text": "ok"}\n' + data + b"\n" + orjson.dumps({"text": data.decode("utf-8", "replace")})
    elif wrap.startswith("gzip"):
        data = gzip.compress(data)
    elif wrap.startswith("zstd"):
        data = zstandard.ZstdCompressor().compress(data)
    if wrap.endswith("-cut"):
        data = data[: len(data) * 2 // 3]
    records = list(read_stream(io.BytesIO(data), name))
    assert records
    for rec in records:
        assert rec.source.startswith(name)
        if rec.error is None and rec.html is None:
            well_formed(rec.paragraphs, lines=True)


@FAST
@given(PARAGRAPHS)
def test_normalize_gives_clean_paragraphs(paragraphs: list[str]) -> None:
    well_formed(normalize_paragraphs(paragraphs))


@FAST
@example(["à²\t Share this story"])
@example(["Â \x8a\x86"])  # ftfy leaves a leading no-break space; stripped, the rest is mojibake
@given(PARAGRAPHS)
def test_normalize_is_idempotent(paragraphs: list[str]) -> None:
    once = normalize_paragraphs(paragraphs)
    assert normalize_paragraphs(once) == once


@FAST
@given(PARAGRAPHS, st.one_of(st.none(), TEXT))
def test_strip_furniture_accounts_for_every_paragraph(paragraphs: list[str], title: str | None) -> None:
    paragraphs = normalize_paragraphs(paragraphs)
    kept, removed, new_title, date = strip_furniture(paragraphs, title)
    taken = [new_title] if title is None and new_title is not None else []
    assert sorted(kept + [r["text"] for r in removed] + taken) == sorted(paragraphs)
    assert all(r["reason"] == "boilerplate" and r["rule"] for r in removed)
    assert date is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", date)
    well_formed(kept)


@FAST
@given(st.lists(PARAGRAPHS, min_size=1, max_size=5), st.booleans())
def test_near_duplicates_are_deterministic_and_point_at_real_paragraphs(
    docs: list[list[str]], mark: bool
) -> None:
    def once() -> list[Record]:
        stage = NearDuplicates(DedupConfig(mark=mark))
        records = [
            Record(id=f"d{i}", source="s", paragraphs=normalize_paragraphs(p)) for i, p in enumerate(docs)
        ]
        # the documents again, so that some passages surely repeat
        records += [
            Record(id=f"e{i}", source="s", paragraphs=list(r.paragraphs)) for i, r in enumerate(records)
        ]
        return list(stage(records))

    first, second = once(), once()
    assert [r.to_dict(mark) for r in first] == [r.to_dict(mark) for r in second]
    out = {r.id: r.paragraphs for r in first}
    for rec in first:
        well_formed(rec.paragraphs)
        for entry in rec.duplicates if mark else rec.removed:
            target = out[entry["of"]["id"]]
            assert 0 <= entry["of"]["paragraph"] < len(target)
            assert 0 <= entry["similarity"] <= 1


@FAST
@given(
    st.dictionaries(
        st.text(max_size=8),
        st.recursive(
            st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats(allow_nan=False) | WORDS,
            lambda inner: (
                st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
            ),
            max_leaves=8,
        ),
        max_size=5,
    ),
    TEXT,
)
def test_any_jsonl_record_comes_out_as_one_valid_json_line(extra: dict[str, object], text: str) -> None:
    line = json.dumps({**extra, "text": text}).encode() + b"\n"
    config = load_config(None, jobs=1)
    for rec in run(read_stream(io.BytesIO(line), "in.jsonl"), config):
        if rec.error is not None:
            continue
        out = to_line(rec)
        assert out.endswith(b"\n") and out.count(b"\n") == 1
        back = json.loads(out)
        assert back == orjson.loads(orjson.dumps(rec.to_dict()))
        assert back["text"] == back["text"].strip() and "\n\n\n" not in back["text"]
        assert back["text"] == "\n\n".join(rec.paragraphs)
        well_formed(rec.paragraphs)
