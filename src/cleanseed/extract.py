"""HTML -> main text and metadata (trafilatura, checked against readability), and WARC records in.

Extraction runs trafilatura as the base, with its own dedup off (dedup is ours), and
readability-lxml as a second opinion; `choose_text` picks one of the candidates per page by
signals any page has (how much the candidates agree, how much text each keeps). Every page
runs under a time limit so one pathological page cannot stall a run.
"""

from __future__ import annotations

import contextlib
import re
import signal
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from copy import deepcopy
from typing import IO, Any
from urllib.parse import urlsplit

from cleanseed.record import Record

TIME_LIMIT = 20.0  # seconds per page
_WORDS = re.compile(r"\w+")
_TITLE_SEPARATORS = re.compile(r"\s+[|\-\u2013\u2014:\u00bb\u00b7/\u2022~]+\s+|\s*[:|]\s+")
_BLOCK_TAGS = frozenset(
    "p div li h1 h2 h3 h4 h5 h6 pre blockquote tr td th figcaption section article dd dt "
    "table ul ol br header footer aside main nav form".split()
)
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg"})


class ExtractionTimeout(Exception):
    """A page took longer than the time limit."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise ExtractionTimeout in the block after `seconds` (main thread only; elsewhere no limit)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise ExtractionTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ---- text candidates ----


def split_lines(text: str | None) -> list[str]:
    """Paragraphs of extractor output: one per non-blank line."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def block_text(root: Any) -> list[str]:
    """Paragraphs of an lxml tree, one per block element; iterative, so depth cannot overflow."""
    from lxml import etree

    out: list[str] = []
    cur: list[str] = []
    skip = 0

    def flush() -> None:
        text = " ".join("".join(cur).split())
        if text:
            out.append(text)
        cur.clear()

    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in _SKIP_TAGS:
                skip += 1
            elif skip == 0:
                if tag in _BLOCK_TAGS:
                    flush()
                if el.text and isinstance(el.tag, str):
                    cur.append(el.text)
        else:
            if tag in _SKIP_TAGS:
                skip -= 1
            elif skip == 0 and tag in _BLOCK_TAGS:
                flush()
            if skip == 0 and el.tail and el is not root:
                cur.append(el.tail)
    flush()
    return out


def readability_text(html: str) -> list[str]:
    """readability-lxml's main content as paragraphs; [] when it finds none or fails."""
    import lxml.html
    from readability import Document

    try:
        summary = Document(html).summary(html_partial=True)
        return block_text(lxml.html.fromstring(summary)) if summary.strip() else []
    except Exception:  # readability raises bare Unparseable and lxml errors on junk
        return []


def trafilatura_text(tree: Any, url: str | None, **options: Any) -> list[str]:
    """trafilatura's main text of a parsed page as paragraphs; [] when it finds none."""
    import trafilatura

    text = trafilatura.extract(deepcopy(tree), url=url, deduplicate=False, include_comments=False, **options)
    return split_lines(text)


def _bag(paragraphs: list[str]) -> Counter[str]:
    return Counter(w.casefold() for p in paragraphs for w in _WORDS.findall(p))


def overlap(a: Counter[str], b: Counter[str]) -> tuple[float, float]:
    """(share of a's words found in b, share of b's words found in a)."""
    common = sum((a & b).values())
    return common / max(1, sum(a.values())), common / max(1, sum(b.values()))


def choose_text(candidates: dict[str, list[str]]) -> tuple[str, list[str]]:
    """The candidate to keep, by agreement between extractors.

    `candidates` holds trafilatura's default ("default"), precision ("precision") and recall
    ("recall") outputs and readability's ("readability"). Readability's text is kept when it
    holds nearly all of trafilatura's precise core (so it found the same article), nearly all of
    it lies within trafilatura's widest reading (so it added no region trafilatura rejected
    outright), and its length is within [0.5, 2] of the default's. Otherwise trafilatura's
    precision output, or the default when precision found nothing.
    """
    default, precise = candidates.get("default", []), candidates.get("precision", [])
    readable, recall = candidates.get("readability", []), candidates.get("recall", [])
    d, p, rd, rc = _bag(default), _bag(precise), _bag(readable), _bag(recall)
    n_default, n_readable = sum(d.values()), sum(rd.values())
    if (
        n_readable
        and overlap(p, rd)[0] >= 0.9
        and overlap(rd, rc)[0] >= 0.9
        and 0.5 * n_default <= n_readable <= 2 * n_default
    ):
        return "readability", readable
    if precise:
        return "precision", precise
    return "default", default


# ---- metadata ----


def _fold(text: str) -> str:
    return " ".join(_WORDS.findall(text.casefold()))


def _meta(tree: Any, *names: str) -> str | None:
    for name in names:
        for value in tree.xpath(f'//meta[@property="{name}" or @name="{name}"]/@content')[:1]:
            value = " ".join(str(value).split())
            if value:
                return value
    return None


def _site_words(site_name: str | None, url: str | None) -> set[str]:
    """Folded forms that name the site: og:site_name, and the host's labels and whole name."""
    names: set[str] = set()
    if site_name:
        names.add(_fold(site_name))
        names.add(_fold(site_name).replace(" ", ""))
    if url:
        host = urlsplit(url).hostname or ""
        host = re.sub(r"^(www\d?|m|amp)\.", "", host)
        if host:
            names.add(host.replace(".", " "))
            names.add(host.split(".")[0])
            names.add(host.replace(".", ""))
    return {n for n in names if n}


def _is_site(segment: str, site: set[str]) -> bool:
    key = _fold(segment)
    return bool(key) and (key in site or key.replace(" ", "") in site)


def choose_title(
    html_title: str | None,
    og_title: str | None,
    headings: list[str],
    site_name: str | None,
    url: str | None,
) -> str | None:
    """The page's headline: what <title>, og:title and <h1> agree on, without a site-name part.

    A title is split on separators (" | ", " - ", ": " ...); parts naming the site (og:site_name,
    the host name) are dropped, and so is a part that a heading repeats when a longer part stands
    beside it (a site's logo heading). A heading equal to the longest remaining part, or to a
    whole title, is the headline.
    """
    site = _site_words(site_name, url)
    folded_headings = [_fold(h) for h in headings]
    for h, key in zip(headings, folded_headings):
        if key and not _is_site(h, site) and any(key == _fold(t) for t in (og_title, html_title) if t):
            return h
    for title in (t for t in (og_title, html_title) if t):
        parts = [p for p in _TITLE_SEPARATORS.split(title) if _WORDS.search(p)]
        kept = [p for p in parts if not _is_site(p, site)]
        if len(kept) > 1:
            longest = max(kept, key=lambda p: len(_WORDS.findall(p)))
            logo = [p for p in kept if p is not longest and _fold(p) in folded_headings]
            kept = [p for p in kept if not any(p is q for q in logo)]
        if len(kept) > 1 and not logo and site_name is None:
            # no site name known: a headline with short section names around it
            longest = max(kept, key=len)
            if len(_WORDS.findall(longest)) >= 4 and all(
                len(_WORDS.findall(p)) <= 3 for p in kept if p is not longest
            ):
                kept = [longest]
        if kept:
            chosen = _join_parts(title, kept) if len(kept) < len(parts) else title.strip()
            words = len(_WORDS.findall(chosen))
            for h, key in zip(headings, folded_headings):
                # the headline inside a title that carries more (a section, a series name)
                if key and key in _fold(chosen) and 3 * len(key.split()) >= words and not _is_site(h, site):
                    return h
            return chosen
    for h in headings:
        if not _is_site(h, site):
            return h
    return None


def _join_parts(title: str, kept: list[str]) -> str:
    """The kept parts of a split title, joined as they stood in the title."""
    start = title.find(kept[0])
    end = title.rfind(kept[-1]) + len(kept[-1])
    return title[start:end].strip() if 0 <= start < end else " ".join(kept)


def _headings(tree: Any) -> list[str]:
    out = []
    for el in tree.xpath("//h1")[:5]:
        text = " ".join(el.text_content().split())
        if text:
            out.append(text)
    return out


def fill_metadata(rec: Record, tree: Any) -> None:
    """title, author, date (YYYY-MM-DD) and url from the page where the record lacks them."""
    from trafilatura.metadata import extract_metadata

    meta = extract_metadata(deepcopy(tree), default_url=rec.url)
    if rec.url is None:
        rec.url = meta.url or _canonical(tree)
    if rec.title is None:
        html_title = " ".join(t for t in tree.xpath("//head/title/text()")[:1]).strip() or None
        og_title = _meta(tree, "og:title", "twitter:title")
        site_name = _meta(tree, "og:site_name", "application-name") or meta.sitename
        title = choose_title(html_title, og_title, _headings(tree), site_name, rec.url)
        rec.title = title or meta.title
    if rec.author is None and meta.author:
        rec.author = meta.author
    if rec.date is None and meta.date:
        rec.date = str(meta.date)[:10]


def _canonical(tree: Any) -> str | None:
    for href in tree.xpath('//link[@rel="canonical"]/@href')[:1]:
        return str(href).strip() or None
    return _meta(tree, "og:url")


# ---- the record ----


def extract_record(rec: Record, limit: float = TIME_LIMIT) -> Record:
    """Fill a record's paragraphs and metadata from its `html`; set `error` when that fails."""
    from trafilatura.utils import load_html

    html, rec.html = rec.html, None
    if not html or not html.strip():
        rec.error = "empty document"
        return rec
    try:
        with time_limit(limit):
            tree = load_html(html)
            if tree is None:
                rec.error = "extraction failed: not parseable as HTML"
                return rec
            candidates = {
                "default": trafilatura_text(tree, rec.url),
                "precision": trafilatura_text(tree, rec.url, favor_precision=True),
                "recall": trafilatura_text(tree, rec.url, favor_recall=True),
                "readability": readability_text(html),
            }
            _, rec.paragraphs = choose_text(candidates)
            fill_metadata(rec, tree)
    except ExtractionTimeout:
        rec.error = "extraction timed out"
        rec.paragraphs = []
    except (RecursionError, MemoryError, ValueError) as exc:
        rec.error = f"extraction failed: {type(exc).__name__}"
        rec.paragraphs = []
    if rec.error is None and not rec.paragraphs:
        rec.error = "extraction failed: no main text found"
    return rec


# ---- WARC ----

HTML_TYPES = ("text/html", "application/xhtml+xml")


def read_warc(stream: IO[bytes], source: str) -> Iterator[Record]:
    """One Record per HTML response record of a WARC stream; the rest skipped and counted."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    from cleanseed.readers import declared_charset, decode_bytes

    skipped = 0
    try:
        for record in ArchiveIterator(stream, record_types=WarcRecordType.any_type, parse_http=True):
            ctype = (record.http_headers.get("Content-Type", "") if record.http_headers else "") or ""
            if record.record_type != WarcRecordType.response or not ctype.lower().startswith(HTML_TYPES):
                skipped += 1
                continue
            rid = record.headers.get("WARC-Record-ID", "") or f"{source}:{record.stream_pos}"
            url = record.headers.get("WARC-Target-URI") or None
            data = record.reader.read()
            rec = Record(id=rid, source=source, url=url)
            charset = _header_charset(ctype) or declared_charset(data)
            text = decode_bytes(data, charset)
            if text.strip():
                rec.html = text
            else:
                rec.error = "empty document"
            yield rec
    except Exception as exc:  # a truncated or corrupt archive: keep what was read
        yield Record(id=source, source=source, error=f"cannot read WARC: {exc}")
    if skipped:
        print(f"cleanseed: {source}: skipped {skipped} non-HTML WARC records", file=sys.stderr)


def _header_charset(content_type: str) -> str | None:
    match = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.I)
    return match.group(1) if match else None
