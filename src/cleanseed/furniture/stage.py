"""The furniture stage: each document's paragraphs through the rules, teaser blocks and repeated
lines taken out with their neighbours, the headline and the head's date found as metadata."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from cleanseed.furniture.rules import (
    _TABLE_ROW,
    _TERMINAL,
    _fold,
    classify,
    is_dateline,
    is_related_heading,
    nwords,
    parse_date,
)
from cleanseed.normalize import fold
from cleanseed.record import Record

Removed = dict[str, Any]
_ELLIPSIS_END = re.compile(r"(\.\.\.|…)[\"'”’]?$")
_ELLIPSIS_START = re.compile(r"\s*(\.\.\.|…)")
# code and data lines repeat inside a page for good reason; past the head, a repeated line is
# furniture only when it reads as prose (a pull quote, a teaser shown twice)
_CODE_CHARS = re.compile(r"[│{}\[\]();=<>_$#@\\]")
_PROSE_END = re.compile(r"[.!?][\"'”’»)]*$")
_HEADLINE_END = re.compile(r"[.:;,]$")


def _is_headline(text: str) -> bool:
    return not _HEADLINE_END.search(text.rstrip("\"'”’ ")) and 1 <= nwords(text) <= 25


def _is_teaser(text: str) -> bool:
    """A line of a teaser block: a headline, a cut-off blurb, or a date."""
    return (
        (_is_headline(text) and nwords(text) <= 20)
        or (nwords(text) <= 60 and _ELLIPSIS_END.search(text) is not None)
        or is_dateline(text)
    )


def _date_run(paragraphs: list[str], i: int) -> int:
    """How many date lines in a row paragraph i (a date line) stands in."""
    lo = i
    while lo > 0 and is_dateline(paragraphs[lo - 1]):
        lo -= 1
    hi = i + 1
    while hi < len(paragraphs) and is_dateline(paragraphs[hi]):
        hi += 1
    return hi - lo


def strip_furniture(
    paragraphs: list[str], title: str | None = None
) -> tuple[list[str], list[Removed], str | None, str | None]:
    """Split paragraphs into kept body and removed furniture.

    Returns (kept, removed, title, date): the headline (when `title` is not known yet) and the
    first full date of the document's head, found among the paragraphs.
    """
    kept: list[str] = []
    removed: list[Removed] = []
    found_date: str | None = None
    seen: set[str] = set()
    folded_title = fold(title) if title else None
    head = True  # still before the first body paragraph
    i = 0
    teasers_end = -1  # where the last teaser block removed ended
    n = len(paragraphs)
    while i < n:
        text = paragraphs[i]
        key = _fold(text)
        rule = classify(text)
        if rule == "dateline" and _date_run(paragraphs, i) >= 3:
            rule = None  # a schedule, a timeline or a list of events: content, not a dateline
        if rule == "dateline" and head and found_date is None:
            found_date = parse_date(text)
        if rule is None and is_related_heading(text):
            # the heading and the teasers after it, through the last cut-off blurb ("..."): a
            # blurb is what tells teasers from the short body lines that may follow
            removed.append({"text": text, "reason": "boilerplate", "rule": "related"})
            j = last = i + 1
            while (
                j < n
                and j - i <= 8
                and _is_teaser(paragraphs[j])
                and classify(paragraphs[j]) in (None, "dateline")
            ):
                j += 1
                if _teaser_blurb(paragraphs[j - 1]):
                    last = j
            if last == i + 1 and i + 1 < n and is_dateline(paragraphs[i + 1]):
                last = i + 2
            for k in range(i + 1, last):
                removed.append({"text": paragraphs[k], "reason": "boilerplate", "rule": "related"})
            j = last
            i = teasers_end = j
            continue
        if (
            rule is None
            and i + 1 < n
            and _is_headline(text)
            and not head_title_slot(head, title, kept)
            and _teaser_blurb(paragraphs[i + 1])
            and (i == teasers_end or i + 2 >= n or _is_teaser(paragraphs[i + 2]))
        ):
            # a headline and a cut-off blurb are a teaser in a run of teasers; alone before body
            # text they are the page's own subheading and lede (or a poem's first line)
            removed.append({"text": text, "reason": "boilerplate", "rule": "related"})
            removed.append({"text": paragraphs[i + 1], "reason": "boilerplate", "rule": "related"})
            i += 2
            teasers_end = i
            continue
        if rule is None and head and title is None and not kept and _is_headline(text) and n > 1:
            title = text
            folded_title = key
            seen.add(key)
            i += 1
            continue
        if rule is None and (key == folded_title or key in seen and (head or _reads_as_prose(text))):
            rule = "repeated"
        if (
            rule is None
            and head
            and " | " in text
            and nwords(text) <= 8
            and not _TERMINAL.search(text)
            and not _TABLE_ROW.search(text)
        ):
            rule = "header"
        if rule is None:
            kept.append(text)
            seen.add(key)
            if head and (_TERMINAL.search(text) or nwords(text) > 25):
                head = False
        else:
            removed.append({"text": text, "reason": "boilerplate", "rule": rule})
        i += 1
    return kept, removed, title, found_date


def _reads_as_prose(text: str) -> bool:
    """Four words or more ending as a sentence ends, with no code or table characters."""
    return nwords(text) >= 4 and _PROSE_END.search(text) is not None and not _CODE_CHARS.search(text)


def head_title_slot(head: bool, title: str | None, kept: list[str]) -> bool:
    """True where the next headline-like paragraph is the document's own headline."""
    return head and title is None and not kept


def _teaser_blurb(text: str) -> bool:
    # a line that begins with an ellipsis continues something (a console session, a quote)
    return nwords(text) <= 60 and _ELLIPSIS_END.search(text) is not None and not _ELLIPSIS_START.match(text)


def furniture(records: Iterable[Record]) -> Iterator[Record]:
    """Stage: strip furniture; fill `title` and `date` from the text where they are unknown."""
    for rec in records:
        if rec.error is None:
            kept, removed, title, found = strip_furniture(rec.paragraphs, rec.title)
            rec.paragraphs = kept
            rec.removed.extend(removed)
            rec.title = title
            if rec.date is None and found is not None:
                rec.date = found
        yield rec
