"""The extraction proper: trafilatura under a time limit, a second try, `extract_record`, `warm_up`.

Extraction runs trafilatura once per page, in recall mode without its fallback extractors
(`favor_recall=True, fast=True`), its own dedup off (dedup is ours): measured through the
command on three benchmarks, it did as well as choosing per page between trafilatura's three
modes and readability-lxml (F1 within 0.002 or ahead on each) at a quarter of the CPU. What
recall mode lets through is taken out twice: kinds of furniture the page's markup names (credits,
disclosures, author boxes, lines made only of links) are pruned in the parsed page before
trafilatura runs (`prune_furniture`, a few ms per page in lxml), and the furniture rules run on
the text after it. Only where that text
is short (under SHORT_TEXT characters: 66 of 910 benchmark pages) does trafilatura run a second
time, with its defaults and fallbacks. Every page runs under a time limit so one pathological
page cannot stall a run.
"""

from __future__ import annotations

import contextlib
import re
import signal
import threading
from collections.abc import Iterator
from typing import Any

from cleanseed.extract.metadata import fill_metadata
from cleanseed.extract.tree import Leads, add_lead, join_body_chunks, prune_furniture
from cleanseed.record import Record

TIME_LIMIT = 20.0  # seconds per page
# main text shorter than this (characters) is extracted again, with trafilatura's fallbacks,
# and the second text kept when it is at least SECOND_GAIN times as long
SHORT_TEXT = 700
SECOND_GAIN = 3.0
SECOND_OVERLAP = 0.1  # and when it holds at least this share of the first text's words
_WORDS = re.compile(r"\w+")
_TAG = re.compile(r"<[A-Za-z!/?]")  # the start of a tag, a comment, a doctype or an end tag


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


def trafilatura_text(tree: Any, url: str | None, **options: Any) -> list[str]:
    """trafilatura's main text of a parsed page as paragraphs; [] when it finds none.

    trafilatura may change the tree it is given: call it last, or on a copy.
    """
    import trafilatura

    text = trafilatura.extract(tree, url=url, deduplicate=False, include_comments=False, **options)
    return split_lines(text)


# ---- the record ----


def _second_try(html: str, url: str | None, first: list[str]) -> list[str]:
    """The main text of a page whose recall-mode text came out short: trafilatura's default, with
    its fallback extractors, on a fresh parse, when that finds several times as much.

    A few lines from a whole page usually mean recall mode took a wrong or partial container (a
    teaser box, one tab of several); a text only a little longer is as likely the wrong one. A
    longer text holding almost none of the first one's words (under SECOND_OVERLAP of them) is
    another part of the page (a form, a block of server warnings) and is not taken either.
    """
    from trafilatura.utils import load_html

    tree = load_html(html)
    if tree is not None:
        prune_furniture(tree)
    second = trafilatura_text(tree, url) if tree is not None else []
    if sum(map(len, second)) < SECOND_GAIN * sum(map(len, first)):
        return first
    words = _WORDS.findall(" ".join(first).casefold())
    if words:
        found = set(_WORDS.findall(" ".join(second).casefold()))
        if sum(w in found for w in words) < SECOND_OVERLAP * len(words):
            return first
    return second


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
            if tree is None and _TAG.search(html) is None:
                # no markup at all: plain text saved under a page's name, read as text is
                from cleanseed.readers import split_blocks

                rec.paragraphs = split_blocks(html)
                return rec
            if tree is None:
                rec.error = "extraction failed: not parseable as HTML"
                return rec
            url = rec.url  # as given: the metadata's url is not trafilatura's input
            fill_metadata(rec, tree)
            prune_furniture(tree)
            join_body_chunks(tree)
            leads = Leads(tree)
            # last, as it may change the tree
            rec.paragraphs = trafilatura_text(tree, url, favor_recall=True, fast=True)
            if sum(map(len, rec.paragraphs)) < SHORT_TEXT:
                rec.paragraphs = _second_try(html, url, rec.paragraphs)
            rec.paragraphs = add_lead(rec.paragraphs, leads)
    except ExtractionTimeout:
        rec.error = "extraction timed out"
        rec.paragraphs = []
    except (RecursionError, MemoryError, ValueError) as exc:
        rec.error = f"extraction failed: {type(exc).__name__}"
        rec.paragraphs = []
    if rec.error is None and not rec.paragraphs:
        rec.error = "extraction failed: no main text found"
    return rec


# no machine-readable date: htmldate then reads the text, loading dateparser and month names
_WARM_UP_PAGE = """<html><head><title>Warm-up | Example</title><meta name="author" content="Ann Example">
</head><body><article><h1>Warm-up</h1>
<p>A page extracted once before worker processes start, so that they inherit what extraction
loads on first use: trafilatura and htmldate, their compiled patterns, the public suffix list,
dateparser's tables.</p><p>Published on 2 January 2024.</p></article></body></html>"""


def warm_up() -> None:
    """Load what extraction loads on first use (about a second of CPU), e.g. before forking workers."""
    extract_record(
        Record(id="warm-up", source="warm-up", url="https://www.example.com/a", html=_WARM_UP_PAGE)
    )
