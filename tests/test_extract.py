"""HTML extraction, titles, charsets, pathological pages, WARC input and the installed command."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import deep_html, entity_bomb_html

from cleanseed.extract import (
    ExtractionTimeout,
    choose_title,
    extract_author,
    extract_record,
    prune_furniture,
    time_limit,
    warm_up,
)
from cleanseed.readers import declared_charset, read_sources, read_stream
from cleanseed.record import Record

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "html"


def extracted(name: str) -> Record:
    recs = list(read_sources([str(FIXTURES / name)]))
    assert len(recs) == 1 and recs[0].html is not None
    return extract_record(recs[0])


# ---- real pages ----


def test_news_article_body_without_navigation_or_footer() -> None:
    rec = extracted("news-article.html")
    assert rec.error is None and rec.html is None
    text = rec.text
    assert "corrosion in the steel cables" in text
    assert "separate lane for the first time" in text
    assert "All rights reserved" not in text
    assert "Storm warning for the weekend" not in text
    # paragraph breaks survive
    assert any(p.startswith("About 40,000 vehicles") for p in rec.paragraphs)
    assert len(rec.paragraphs) >= 4


def test_news_article_metadata() -> None:
    rec = extracted("news-article.html")
    assert rec.title == "Harbour bridge reopens after two years of repairs"
    assert rec.author == "Maria Lindqvist"
    assert rec.date == "2023-06-14"
    assert rec.url == "https://www.coastalcourier.example/news/harbour-bridge-reopens"


def test_real_page_colophon() -> None:
    rec = extracted("daringfireball-colophon.html")
    assert rec.error is None
    assert "Daring Fireball is written and produced by John Gruber" in rec.text
    assert rec.title == "Daring Fireball: Colophon"


def test_declared_charset_decodes_cp1252() -> None:
    raw = (FIXTURES / "cafe-cp1252.html").read_bytes()
    assert declared_charset(raw) == "windows-1252"
    rec = extracted("cafe-cp1252.html")
    assert "Le petit café du port" in rec.text
    assert "n’a pas changé" in rec.text
    assert "Ã" not in rec.text and "\ufffd" not in rec.text


def test_known_metadata_is_kept() -> None:
    html = (FIXTURES / "news-article.html").read_text(encoding="utf-8")
    rec = extract_record(Record(id="x", source="x", title="Given", url="https://given.example/", html=html))
    assert rec.title == "Given" and rec.url == "https://given.example/"


def test_meta_property_may_list_several_names() -> None:
    html = (
        '<html><head><title>Title Element</title><meta property="dc:title og:title" content="Preferred title">'
        "</head><body><article><p>"
        + "Body text of the page that goes on. " * 20
        + "</p></article></body></html>"
    )
    rec = extract_record(Record(id="x", source="x", html=html))
    assert rec.title == "Preferred title"


def test_warm_up_changes_no_result() -> None:
    html = (FIXTURES / "news-article.html").read_text(encoding="utf-8")
    before = extract_record(Record(id="x", source="x", html=html))
    warm_up()
    after = extract_record(Record(id="x", source="x", html=html))
    assert after == before and after.error is None


# ---- titles ----


# ---- author from markup: ours against trafilatura's ----

_AUTHOR_PAGES = {
    "byline class": ('<div class="byline">By Jane Doe</div><p>Text.</p>', "Jane Doe"),
    "rel=author link": ('<p>Text by <a rel="author" href="/u/jd">Jane Doe</a>.</p>', "Jane Doe"),
    "author in comments ignored": (
        '<div class="byline">Jane Doe</div><div id="comments"><span class="author">Troll Person</span></div>',
        "Jane Doe",
    ),
    "only author in comments": (
        '<section class="comments-list"><a class="author">Troll Person</a></section>',
        None,
    ),
    # a discarded <time>'s tail is joined to the text before it, here "By" and "Jane Doe"
    "discarded time in author": ('<p class="byline">By<time>2020-01-02</time>Jane Doe</p>', "ByJane Doe"),
    # ... here to the tail of <b>: "Do" and "e Smith"
    "discarded time after a child": (
        '<span class="author-name"><b>Jane</b>Do<time>May 1</time>e<figure>x</figure> Smith</span>',
        "Jane Doe Smith",
    ),
    "second expression after a too-short first": (
        '<span class="author">JD</span><div class="byl">Jane Doe</div>',
        "Jane Doe",
    ),
    "rel child reading me": ("<p><rel>me</rel>Jane Doe</p>", "Me Jane Doe"),  # xpaths.py's `rel='me'`
    "author tag": ("<author>Jane Doe</author>", "Jane Doe"),
    "no author": ("<p>Text.</p>", None),
}


@pytest.mark.parametrize(("body", "expected"), list(_AUTHOR_PAGES.values()), ids=list(_AUTHOR_PAGES))
def test_extract_author_is_trafilaturas(body: str, expected: str | None) -> None:
    from trafilatura.metadata import extract_author as trafilatura_author
    from trafilatura.utils import load_html

    tree = load_html(f"<html><body><article><h1>A title</h1>{body}</article></body></html>")
    assert trafilatura_author(tree) == expected
    assert extract_author(tree) == expected


@pytest.mark.parametrize(
    ("html_title", "og_title", "h1", "site", "url", "want"),
    [
        ("Big storm hits coast | Daily Planet", None, [], "Daily Planet", None, "Big storm hits coast"),
        (
            "Big storm hits coast - dailyplanet.com",
            None,
            [],
            None,
            "https://www.dailyplanet.com/x",
            "Big storm hits coast",
        ),
        ("Daily Planet: Big storm hits coast", None, [], "Daily Planet", None, "Big storm hits coast"),
        ("Home | Daily Planet", None, ["Big storm hits coast"], "Daily Planet", None, "Home"),
        (
            "Big storm hits coast | News",
            "Big storm hits coast",
            ["Big storm hits coast"],
            None,
            None,
            "Big storm hits coast",
        ),
        # an h1 that only names the site is not the headline
        (
            "Big storm hits coast | Daily Planet",
            None,
            ["Daily Planet"],
            "Daily Planet",
            None,
            "Big storm hits coast",
        ),
        # a dash inside a headline stays when no part names the site
        ("Covid-19 - what we know so far", None, [], "Daily Planet", None, "Covid-19 - what we know so far"),
        # a kicker before a colon is part of the headline; a site name before one is not
        (
            "Coronavirus: fines for false contact reports",
            None,
            [],
            None,
            None,
            "Coronavirus: fines for false contact reports",
        ),
        (
            "Daily Planet: Coronavirus: fines for false reports",
            None,
            [],
            "Daily Planet",
            None,
            "Coronavirus: fines for false reports",
        ),
        # short section names after the headline go, site name known or not
        (
            "No App Store over mobile data with iOS 13 | iPhone | Forum",
            None,
            [],
            "MacTech",
            None,
            "No App Store over mobile data with iOS 13",
        ),
        # the one <h1>, reworded from an SEO title, is the headline the reader sees
        (
            "Kind krank? Was Arbeitgeber jetzt wissen müssen | Eltern",
            None,
            ["Was Arbeitgeber über die Rechte von Eltern wissen müssen"],
            "Eltern",
            None,
            "Was Arbeitgeber über die Rechte von Eltern wissen müssen",
        ),
        # a logo heading holding a host label is the site, not the headline
        (
            "A walk in the autumn woods :: PIXNET ::",
            None,
            ["Photo PIXNET", "My blog"],
            "My blog",
            "http://someone.pixnet.net/blog/post/1",
            "A walk in the autumn woods",
        ),
        (None, None, ["Only a heading"], None, None, "Only a heading"),
        (None, None, [], None, None, None),
    ],
)
def test_choose_title(
    html_title: str | None,
    og_title: str | None,
    h1: list[str],
    site: str | None,
    url: str | None,
    want: str | None,
) -> None:
    assert choose_title(html_title, og_title, h1, site, url) == want


# ---- pathological pages ----


def test_deeply_nested_html_does_not_crash() -> None:
    rec = extract_record(Record(id="d", source="d", html=deep_html()))
    # either some text or a counted failure, never an exception
    assert rec.html is None
    assert rec.error is not None or rec.paragraphs


def test_entity_expansion_is_not_expanded() -> None:
    rec = extract_record(Record(id="b", source="b", html=entity_bomb_html()))
    assert rec.html is None
    assert "lollollol" not in rec.text
    assert len(rec.text) < 10_000


def test_empty_and_junk_html_are_errors_not_exceptions() -> None:
    assert extract_record(Record(id="e", source="e", html="   ")).error == "empty document"
    rec = extract_record(Record(id="j", source="j", html="<html><body></body></html>"))
    assert rec.error is not None and rec.error.startswith("extraction failed")


def test_time_limit_interrupts() -> None:
    with pytest.raises(ExtractionTimeout), time_limit(0.05):
        while True:
            time.sleep(0.01)


def test_timed_out_page_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import cleanseed.extract.core as ex  # where extract_record looks trafilatura_text up

    def stall(*args: object, **kwargs: object) -> list[str]:
        while True:
            time.sleep(0.01)

    monkeypatch.setattr(ex, "trafilatura_text", stall)
    html = (FIXTURES / "news-article.html").read_text(encoding="utf-8")
    rec = extract_record(Record(id="t", source="t", html=html), limit=0.1)
    assert rec.error == "extraction timed out" and rec.paragraphs == []


# ---- WARC ----


def warc_record(
    rtype: str, rid: str, uri: str, payload: bytes, content_type: str = "application/http; msgtype=response"
) -> bytes:
    head = (
        f"WARC/1.0\r\nWARC-Type: {rtype}\r\nWARC-Record-ID: {rid}\r\nWARC-Target-URI: {uri}\r\n"
        f"WARC-Date: 2024-01-01T00:00:00Z\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    ).encode()
    return head + payload + b"\r\n\r\n"


def http_response(ctype: str, body: bytes) -> bytes:
    return f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body


def build_warc(compress: bool) -> bytes:
    article = (FIXTURES / "news-article.html").read_bytes()
    cafe = (FIXTURES / "cafe-cp1252.html").read_bytes()
    records = [
        warc_record("warcinfo", "<urn:uuid:0>", "", b"software: test\r\n", "application/warc-fields"),
        warc_record(
            "request",
            "<urn:uuid:1>",
            "https://a.example/",
            b"GET / HTTP/1.1\r\n\r\n",
            "application/http; msgtype=request",
        ),
        warc_record(
            "response",
            "<urn:uuid:2>",
            "https://a.example/bridge",
            http_response("text/html; charset=utf-8", article),
        ),
        warc_record(
            "response",
            "<urn:uuid:3>",
            "https://a.example/logo.png",
            http_response("image/png", b"\x89PNG\r\n"),
        ),
        warc_record("response", "<urn:uuid:4>", "https://b.example/cafe", http_response("text/html", cafe)),
    ]
    if compress:
        return b"".join(gzip.compress(r) for r in records)
    return b"".join(records)


@pytest.mark.parametrize("compress", [False, True])
def test_warc_yields_html_responses_and_counts_the_rest(
    compress: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "crawl.warc.gz" if compress else "crawl.warc"
    recs = list(read_stream(io.BytesIO(build_warc(compress)), name))
    assert [r.id for r in recs] == ["<urn:uuid:2>", "<urn:uuid:4>"]
    assert [r.url for r in recs] == ["https://a.example/bridge", "https://b.example/cafe"]
    assert all(r.html is not None and r.error is None for r in recs)
    assert "skipped 3 non-HTML WARC records" in capsys.readouterr().err
    cafe = extract_record(recs[1])
    assert "Le petit café du port" in cafe.text  # charset from the page's meta tag
    bridge = extract_record(recs[0])
    assert bridge.url == "https://a.example/bridge"  # the WARC's URI wins over the canonical link


def test_warc_sniffed_without_extension() -> None:
    recs = list(read_stream(io.BytesIO(build_warc(False)), "-"))
    assert len(recs) == 2


def test_truncated_warc_keeps_what_was_read() -> None:
    data = build_warc(False)
    recs = list(read_stream(io.BytesIO(data[: len(data) - 300]), "cut.warc"))
    assert recs and recs[0].id == "<urn:uuid:2>"


def _cut_in_last_record(compress: bool) -> tuple[bytes, int]:
    """A WARC cut inside its last record (an HTML page), and where that record starts."""
    data = build_warc(compress)
    last = warc_record("response", "<urn:uuid:5>", "https://b.example/x", http_response("text/html", ARTICLE))
    last = gzip.compress(last) if compress else last
    return data + last[: len(last) // 2], len(data)


ARTICLE = (FIXTURES / "news-article.html").read_bytes()


@pytest.mark.parametrize("compress", [False, True])
def test_warc_cut_inside_a_page_fails_that_page_and_keeps_the_rest(compress: bool) -> None:
    # FastWARC yields a record cut short as if whole (a partial page, silently), and a gzip
    # stream that ends early used to lose the whole records read before it
    cut, _ = _cut_in_last_record(compress)
    recs = list(read_stream(io.BytesIO(cut), "cut.warc.gz" if compress else "cut.warc"))
    assert [r.id for r in recs] == ["<urn:uuid:2>", "<urn:uuid:4>", "<urn:uuid:5>"]
    assert [r.error is None for r in recs] == [True, True, False]
    assert recs[2].error is not None and recs[2].error.startswith("truncated: ")


@pytest.mark.parametrize("at", [12, 40, 120])
def test_warc_cut_inside_a_record_header_is_reported(at: int) -> None:
    data, start = _cut_in_last_record(False)
    recs = list(read_stream(io.BytesIO(data[: start + at]), "cut.warc"))
    assert [r.id for r in recs[:2]] == ["<urn:uuid:2>", "<urn:uuid:4>"]
    assert len(recs) == 3 and recs[2].error is not None and recs[2].error.startswith("truncated: ")


def test_installed_command_accounts_for_a_cut_warc(tmp_path: Path) -> None:
    exe = shutil.which("cleanseed") or str(Path(sys.executable).parent / "cleanseed")
    (tmp_path / "cut.warc.gz").write_bytes(_cut_in_last_record(True)[0])
    proc = subprocess.run([exe, "clean", str(tmp_path / "cut.warc.gz")], capture_output=True, timeout=120)
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr
    assert [json.loads(line)["id"] for line in proc.stdout.splitlines()] == ["<urn:uuid:2>", "<urn:uuid:4>"]
    assert b"3 documents in, 2 out, 1 failed" in proc.stderr


class _Pipe(io.RawIOBase):
    """Bytes that can only be read forward, as from a pipe: no seek, no tell."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        return self._data.readinto(b)


@pytest.mark.parametrize("compress", [False, True])
def test_warc_read_from_a_stream_that_cannot_tell(compress: bool) -> None:
    # FastWARC 2.x asks its stream for tell() and panics (a Rust panic ends the run) where it cannot
    recs = list(read_stream(io.BufferedReader(_Pipe(build_warc(compress))), "crawl.warc"))
    assert [r.id for r in recs] == ["<urn:uuid:2>", "<urn:uuid:4>"]


# ---- the installed command ----


def test_installed_command_on_html_file(tmp_path: Path) -> None:
    exe = shutil.which("cleanseed") or str(Path(sys.executable).parent / "cleanseed")
    page = tmp_path / "page.html"
    page.write_bytes((FIXTURES / "news-article.html").read_bytes())
    proc = subprocess.run([exe, "clean", "-q", str(page)], capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode().splitlines()
    assert len(lines) == 1
    out = json.loads(lines[0])
    assert out["id"] == str(page)
    assert out["title"] == "Harbour bridge reopens after two years of repairs"
    assert out["date"] == "2023-06-14"
    assert "corrosion in the steel cables" in out["text"]
    assert "All rights reserved" not in out["text"]


def test_installed_command_on_warc_file_and_pipe(tmp_path: Path) -> None:
    exe = shutil.which("cleanseed") or str(Path(sys.executable).parent / "cleanseed")
    crawl = tmp_path / "crawl.warc"
    crawl.write_bytes(build_warc(False))
    for args, stdin in (([str(crawl)], None), (["-"], crawl.read_bytes())):
        proc = subprocess.run([exe, "clean", "-q", *args], input=stdin, capture_output=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        ids = [json.loads(line)["id"] for line in proc.stdout.decode().splitlines()]
        assert ids == ["<urn:uuid:2>", "<urn:uuid:4>"]


def _two_extractions(monkeypatch: pytest.MonkeyPatch, second: list[str]) -> list[dict]:
    """trafilatura_text stubbed: a short recall-mode text, then `second` for the default run."""
    import cleanseed.extract.core as extract  # where extract_record looks trafilatura_text up

    calls: list[dict] = []

    def fake(tree: object, url: str | None, **options: object) -> list[str]:
        calls.append(options)
        return ["A teaser box line."] if options.get("favor_recall") else second

    monkeypatch.setattr(extract, "trafilatura_text", fake)
    return calls


def test_short_text_extracted_again_and_kept_when_much_longer(monkeypatch: pytest.MonkeyPatch) -> None:
    body = ["A teaser box line."] + [
        "The whole article that recall mode missed, paragraph after paragraph."
    ] * 3
    calls = _two_extractions(monkeypatch, body)
    rec = extract_record(Record(id="a", source="s", html="<html><body><p>x</p></body></html>"))
    assert [c.get("favor_recall") for c in calls] == [True, None]
    assert rec.paragraphs == body


def test_second_text_only_a_little_longer_is_not_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    _two_extractions(monkeypatch, ["A teaser box line, a bit longer."])
    rec = extract_record(Record(id="a", source="s", html="<html><body><p>x</p></body></html>"))
    assert rec.paragraphs == ["A teaser box line."]


def test_longer_second_text_sharing_no_words_is_not_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    # a block of server warnings, longer than the short post recall mode found, is not the post
    _two_extractions(monkeypatch, ["Warning: Use of undefined constant - assumed in plugin.php at 928"] * 3)
    rec = extract_record(Record(id="a", source="s", html="<html><body><p>x</p></body></html>"))
    assert rec.paragraphs == ["A teaser box line."]


def test_heading_that_json_ld_repeats_is_the_headline() -> None:
    # og:title and <title> an SEO wording; the <h1> and the JSON-LD headline agree
    assert (
        choose_title(
            "Rivers ranked: the ten longest | Atlas",
            "The ten longest rivers, ranked",
            ["Which River Is the Longest of All?", "More stories"],
            "Atlas",
            None,
            "Which river is the longest of all?",
        )
        == "Which River Is the Longest of All?"
    )


def test_json_ld_headline_read_inside_cdata() -> None:
    html = """<html><head><title>Rivers ranked: the ten longest</title>
    <meta property="og:title" content="The ten longest rivers, ranked">
    <script type="application/ld+json">
    <![CDATA[ [{"@type": "NewsArticle", "publisher": {"name": "Atlas"},
       "headline": "Which River Is the Longest of All?"}] ]]>
    </script></head><body><article><h1>Which River Is the Longest of All?</h1>
    <h1>More stories</h1>
    <p>The Nile and the Amazon have long competed for the title, and the answer depends on
    where one says a river begins, which is less simple than it sounds.</p></article>
    </body></html>"""
    rec = extract_record(Record(id="r", source="s", html=html))
    assert rec.title == "Which River Is the Longest of All?"


def test_kicker_span_in_the_heading_is_not_the_headline() -> None:
    # a news <h1> of two spans, a kicker and the headline; the titles name only the headline
    html = """<html><head><title>Autohäuser rechnen mit langsamem Anlauf | Tagesblatt</title>
    <meta property="og:site_name" content="Tagesblatt"></head><body><article>
    <h1><span class="kicker">Nach Corona-Lockerungen</span>
    <span class="headline">Autohäuser rechnen mit langsamem Anlauf</span></h1>
    <p>Seit Montag dürfen die Autohäuser wieder öffnen, doch die Händler erwarten, dass die
    Kundschaft nur zögerlich zurückkehrt und die Werkstätten zuerst ausgelastet sind.</p>
    </article></body></html>"""
    rec = extract_record(Record(id="k", source="s", html=html))
    assert rec.title == "Autohäuser rechnen mit langsamem Anlauf"


def test_dublin_core_title_comes_before_open_graph() -> None:
    html = (
        '<html><head><title>Title Element</title><meta property="og:title" content="A title">'
        '<meta name="DC.title" content="Preferred title"></head><body><article><p>'
        + "Body text of the page that goes on. " * 20
        + "</p></article></body></html>"
    )
    rec = extract_record(Record(id="x", source="x", html=html))
    assert rec.title == "Preferred title"


# ---- furniture pruned before extraction ----

FURNISHED_PAGE = """<html><head><title>Council approves new cycle lanes | Riverside Post</title></head>
<body><article class="post">
<h1>Council approves new cycle lanes</h1>
<figure><img src="lanes.jpg"><figcaption>The new lane on Mill Road.
<span class="image-credit">Photo: Jane Roe / Riverside Post</span></figcaption></figure>
<p class="affiliate-disclosure">This post contains affiliate links: we may earn a commission
on purchases.</p>
<p>The city council voted on Tuesday to build twelve kilometres of protected cycle lanes
along the river, after a consultation that drew more than four thousand responses from
residents, shop owners and the two cycling clubs in the district.</p>
<p><strong><a href="https://www.riversidepost.example/news/bridge-closure">Read also: Bridge closed
for repairs until spring</a></strong></p>
<h3>Most discussed</h3>
<ul><li><a href="https://www.riversidepost.example/news/ferry">Ferry fares to rise in May</a></li>
<li><a href="https://www.riversidepost.example/news/park">New park opens by the docks</a></li></ul>
<p>Work starts in <a href="https://www.riverside.example/plans">March on Mill Road</a>, where
the lane will replace a row of parking spaces, and should end before the summer holidays,
the council's transport officer said at the meeting.</p>
<h2><a href="#cost">How much it costs</a></h2>
<p>The lanes will cost 3.2 million euros, two thirds of it paid by the regional government's
fund for safer streets, the rest from the city's road maintenance budget.</p>
<p><a href="https://www.riverside.example/minutes.pdf">https://www.riverside.example/minutes.pdf</a></p>
<p>Questions about the plan: <a href="mailto:transport@riverside.example">transport@riverside.example</a></p>
<div class="sharedaddy sd-like"><div class="likes-widget">Like this: Loading...</div></div>
<section class="letters-cta"><p>We want to hear what you think about this article. Write to the
editors.</p></section>
<div class="saboxplugin-wrap"><p>Jane Roe has covered city hall for the Post since 2015 and
rides to work every day.</p></div>
<h3><a href="https://www.riversidepost.example/news/tram">Tram line delayed again</a></h3>
<template><p>Comment by {{ author }}: {{ text }}</p></template>
</article></body></html>"""


def test_furniture_blocks_pruned_before_extraction() -> None:
    rec = extract_record(
        Record(id="f", source="s", url="https://www.riversidepost.example/a", html=FURNISHED_PAGE)
    )
    text = rec.text
    assert "twelve kilometres of protected cycle lanes" in text
    assert "March on Mill Road" in text  # a paragraph with a link in it is prose
    assert "How much it costs" in text  # a heading linked to its own anchor
    assert "https://www.riverside.example/minutes.pdf" in text  # a source written out
    assert "transport@riverside.example" in text
    for furniture in (
        "Photo: Jane Roe",
        "affiliate links",
        "Read also",
        "Like this",
        "Tram line delayed",
        "{{",
        "what you think",
        "covered city hall",
        "Most discussed",
    ):
        assert furniture not in text, furniture


def test_pruning_keeps_a_block_holding_most_of_the_page() -> None:
    from trafilatura.utils import load_html

    html = (
        '<html><body><div class="credits"><p>'
        + "The whole story sits inside a wrapper its theme named oddly. " * 10
        + '</p></div><p><a href="https://elsewhere.example/">Another story</a></p></body></html>'
    )
    tree = load_html(html)
    assert prune_furniture(tree) == 1  # the link line, not the wrapper
    assert "named oddly" in tree.text_content() and "Another story" not in tree.text_content()


@pytest.mark.parametrize(
    ("title", "h1", "want"),
    [
        # a kicker in a span, the headline as the heading's own text after it
        (
            "Tidal power plant opens - Coast Weekly",
            '<h1><span class="roofline">Energy</span> Tidal power plant opens</h1>',
            "Tidal power plant opens",
        ),
        # inside a lone wrapping span: a <small> kicker, a <br>, the headline
        (
            "Weekly workout | Ladder sets with long rests - Coast Weekly",
            '<h1> <span class="post-title"><small>Weekly workout</small><br>Ladder sets with long rests</span> </h1>',
            "Ladder sets with long rests",
        ),
    ],
)
def test_headline_after_a_kicker_in_the_heading(title: str, h1: str, want: str) -> None:
    html = f"""<html><head><title>{title}</title><meta property="og:site_name" content="Coast Weekly">
    </head><body><article>{h1}<p>The plant feeds the grid from the turning of the tides, twice a
    day, and its operators expect it to power four thousand homes by the end of next year.</p>
    </article></body></html>"""
    rec = extract_record(Record(id="k", source="s", html=html))
    assert rec.title == want


# ---- an article body split into chunks ----

_CHUNK = "<p>{} " + "more words of the story told at length, " * 8 + "</p>"


def _chunked(second_wrapper: str) -> str:
    return f"""<html><body><article><h1>An article in chunks</h1><div class="chunks">
<div class="grid"><div class="article__body">{_CHUNK.format("First part.")}</div></div>
<div class="ad"><p>Advertisement</p></div>
<div class="{second_wrapper}"><div class="article__body">{_CHUNK.format("Second part.")}</div></div>
</div></article></body></html>"""


def test_body_chunks_in_like_wrappers_are_joined_into_the_first() -> None:
    from trafilatura.utils import load_html

    from cleanseed.extract import join_body_chunks

    tree = load_html(_chunked("grid"))
    assert join_body_chunks(tree) == 1
    (body,) = tree.xpath('//div[@class="article__body"]')
    assert "First part." in body.text_content() and "Second part." in body.text_content()
    assert "Advertisement" not in body.text_content()


def test_blocks_of_the_body_class_in_other_wrappers_stay_apart() -> None:
    from trafilatura.utils import load_html

    from cleanseed.extract import join_body_chunks

    tree = load_html(_chunked("teaser-card"))  # a teaser card reusing the body's class
    assert join_body_chunks(tree) == 0
    assert len(tree.xpath('//div[@class="article__body"]')) == 2


# ---- the lead, beside the body ----

_LEAD_PAGE = """<html><head><title>Harbour news</title></head><body>
<div class="news news-single"><div class="article">
<h1>The harbour reopens</h1>
<div class="teaser-text"><p>After two years of works the old harbour opens again to fishing boats and
ferries this weekend, the town council said on Monday.</p></div>
<div class="news-img-wrap"><img src="a.jpg"></div>
<div class="article-content">
<p>The quays were rebuilt stone by stone, and the lighthouse got a new lamp that can be seen from
the islands thirty kilometres away. Work began in the spring two years ago.</p>
<p>Fishermen who moved their boats to the next town during the works said they would come back
at once. The ferry company will run four crossings a day from Saturday on.</p>
<p>The council will hold an open day on Sunday with guided tours of the quays and the lighthouse,
and the museum of the harbour will open its doors for free.</p>
</div></div></div>
<div class="sidebar"><div class="teaser-text"><p>Another town opens a new library, the first one in
thirty years, with a reading room for children.</p></div></div>
</body></html>"""


def test_the_lead_beside_the_body_is_kept_first() -> None:
    rec = extract_record(Record(id="lead", source="t", url="https://example.com/news/1", html=_LEAD_PAGE))
    assert rec.paragraphs[0].startswith("After two years of works the old harbour opens again")
    assert any(p.startswith("The quays were rebuilt") for p in rec.paragraphs)
    assert not any("library" in p for p in rec.paragraphs)  # a teaser after the body is no lead


def test_html_file_without_markup_is_read_as_plain_text(tmp_path: Path) -> None:
    """A `.html` (or a JSONL `html` field) holding plain text, as scrapers save it: its text, as a
    `.txt` file would give it, not a failed document."""
    from conftest import run_cli

    text = (
        "Plain notes saved under a web page's name, with no markup at all.\n\n"
        "A second paragraph: 3 < 4 and 5 > 2, which is still not a tag.\n"
    )
    (tmp_path / "notes.html").write_text(text)
    (tmp_path / "notes.txt").write_text(text)
    (tmp_path / "page.jsonl").write_text(json.dumps({"id": "p", "html": text}) + "\n")
    out = {}
    for name in ("notes.html", "notes.txt", "page.jsonl"):
        result = run_cli("clean", "-q", "--no-dedup", str(tmp_path / name))
        assert result.returncode == 0 and result.stderr == b"", result.stderr
        out[name] = json.loads(result.stdout)["text"]
    assert out["notes.html"] == out["notes.txt"] == out["page.jsonl"]
    assert out["notes.html"].count("\n\n") == 1 and "3 < 4" in out["notes.html"]
