"""HTML -> main text and metadata (trafilatura), and WARC records in.

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
import functools
import json
import re
import signal
import sys
import threading
from collections.abc import Iterator
from typing import IO, Any
from urllib.parse import urlsplit

from cleanseed.record import Record

TIME_LIMIT = 20.0  # seconds per page
# main text shorter than this (characters) is extracted again, with trafilatura's fallbacks,
# and the second text kept when it is at least SECOND_GAIN times as long
SHORT_TEXT = 700
SECOND_GAIN = 3.0
SECOND_OVERLAP = 0.1  # and when it holds at least this share of the first text's words
_WORDS = re.compile(r"\w+")
# separators between a headline and a site or section name; a colon only next to a site name
# ("Site: headline"), since "Kicker: headline" is one headline
_TITLE_SEPARATORS = re.compile(r"\s+(?:[|\-\u2013\u2014\u00bb\u00b7/\u2022~]+|::+)\s+|\s*\|\s+")
_COLON = re.compile(r"\s*:\s+")


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


# ---- furniture pruned in the page, before trafilatura ----

# kinds of furniture that trafilatura keeps in recall mode, named by the page's own class or id:
# image and photo credits, affiliate and advertising disclosures, "like" widgets, calls to action
# ("cta" boxes), author boxes under an article; and <template> elements (markup a script fills
# in, never shown as it stands)
_FURNITURE_NAME = re.compile(
    r"(?:^|[\s_-])(?:credits?|disclos\w*|disclaimer|likes?|cta"
    r"|author-?box|about-?the-?author|author-?bio|saboxplugin\w*)(?:[\s_-]|$)",
    re.I,
)
_FURNITURE_TAGS = frozenset({"div", "p", "span", "section", "aside", "figcaption", "small"})
# cheap in lxml: a few substring tests on the class and id attributes, the regex above after
_FURNITURE_SUBSTRINGS = ("redit", "iscl", "ike", "cta", "uthor", "sabox")
_FURNITURE_XPATH = (
    "|".join(
        f"//@{attr}[{' or '.join(f'contains(., {t!r})' for t in _FURNITURE_SUBSTRINGS)}]/.."
        for attr in ("class", "id")
    )
    + "|//template"
)
# a block whose whole text is one or more links out of the page: a teaser or "read also" line
# dropped among the paragraphs, a linked heading of a teaser box
_LINK_BLOCKS_XPATH = "|".join(f"//{tag}[.//a[@href]]" for tag in ("p", "h2", "h3", "h4", "h5", "h6"))
LINK_BLOCK_WORDS = 30  # longer blocks of links are left alone (a list of sources, a link-rich paragraph)
LINK_SHARE = 0.9  # share of a block's characters inside links that makes it a link block
PRUNE_SHARE = 0.5  # never prune a block holding this share of the page's text or more


_HEADINGS = ("h2", "h3", "h4", "h5", "h6")
LINK_HEADING_WORDS = 8  # a heading this short over a block made only of links ("More on this")


@functools.cache
def _xpaths() -> tuple[Any, Any, Any, Any]:
    from lxml.etree import XPath

    return (
        XPath(_FURNITURE_XPATH),
        XPath(_LINK_BLOCKS_XPATH),
        XPath("|".join(f"//{tag}" for tag in _HEADINGS)),
        XPath("string-length(normalize-space(//body))"),
    )


def _heads_link_list(heading: Any) -> bool:
    """Whether the block after a heading (the next element with text) is two links or more out
    of the page and nothing else: the heading of a teaser list, which trafilatura drops by its
    link density while keeping the heading."""
    block = heading.getnext()
    while block is not None and (not isinstance(block.tag, str) or not _text(block)):
        block = block.getnext()
    if block is None or block.tag in _HEADINGS:
        return False
    links = [t for t in map(_away_link_text, block.iter("a")) if t]
    return len(links) >= 2 and sum(map(len, links)) >= LINK_SHARE * len(_text(block))


def _text(el: Any) -> str:
    return " ".join("".join(el.itertext()).split())


def prune_furniture(tree: Any) -> int:
    """Remove furniture blocks from a parsed page before extraction; how many were removed.

    Three kinds: blocks whose class or id names a credit, a disclosure, a like widget, a call to
    action or an author box; short headings over a block made only of links; and short
    paragraphs and headings made only of links leaving the page (in-page anchors such as a
    heading's permalink, mail links and written-out addresses do not count), holding no image.
    A block holding half the page's text or more stays.
    """
    named, link_blocks, headings, body_length = _xpaths()
    doomed: list[tuple[Any, str]] = []
    for el in named(tree):
        if el.tag == "template":
            doomed.append((el, ""))
        elif el.tag in _FURNITURE_TAGS and (
            _FURNITURE_NAME.search(el.get("class") or "") or _FURNITURE_NAME.search(el.get("id") or "")
        ):
            doomed.append((el, _text(el)))
    for el in link_blocks(tree):
        text = _text(el)
        if not text or len(text.split()) > LINK_BLOCK_WORDS or el.find(".//img") is not None:
            continue
        if sum(len(t) for t in map(_away_link_text, el.iter("a"))) >= LINK_SHARE * len(text):
            doomed.append((el, text))
    for el in headings(tree):
        text = _text(el)
        if text and len(text.split()) <= LINK_HEADING_WORDS and _heads_link_list(el):
            doomed.append((el, text))
    if not doomed:
        return 0
    limit = PRUNE_SHARE * (body_length(tree) or len(_text(tree)))
    kept = list(dict.fromkeys(el for el, text in doomed if len(text) < limit))  # each once
    marked = set(kept)
    outer = [el for el in kept if not any(a in marked for a in el.iterancestors())]
    for el in outer:
        _drop(el)
    return len(outer)


_URL_TEXT = re.compile(r"^(https?://|www\.)\S+$|^\S+@\S+\.\w+$", re.I)


def _away_link_text(a: Any) -> str:
    """A link's text when it leads to another page and reads as a teaser: not an in-page anchor,
    a script, a mail or phone link, nor an address written out (a source cited)."""
    href = (a.get("href") or "").strip().lower()
    if href.startswith(("#", "javascript:", "mailto:", "tel:")):
        return ""
    text = _text(a)
    return "" if _URL_TEXT.match(text) else text


def _drop(el: Any) -> None:
    """Remove an element, keeping its tail text."""
    parent = el.getparent()
    if el.tail:
        previous = el.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + el.tail
        else:
            previous.tail = (previous.tail or "") + el.tail
    parent.remove(el)


# ---- an article body split into chunks ----


CHUNK_MIN_WORDS = 50  # the first chunk, the one trafilatura takes, holds at least this many words


def join_body_chunks(tree: Any) -> int:
    """Join an article body the page splits into several blocks of the same tag and class (a
    "chunk" between ad slots or paywall markers) into the first; how many were joined.

    trafilatura takes the first block its article-body patterns match and the text of the others
    would be lost. The blocks are found by trafilatura's own first pattern, then by an equal tag
    and class; none may hold another.
    """
    from trafilatura.xpaths import BODY_XPATH

    found = BODY_XPATH[0](tree)
    if not found:
        return 0
    first = found[0]
    cls = first.get("class")
    if not cls:
        return 0
    same = tree.xpath(f"//{first.tag}[@class=$cls]", cls=cls)
    if len(same) < 2 or len(_text(first).split()) < CHUNK_MIN_WORDS:
        return 0
    chunks = set(same)
    if any(a in chunks for el in same for a in el.iterancestors()):
        return 0
    # chunks are laid out alike: each in a wrapper of the same tag and class (a grid row); blocks
    # of that class elsewhere (teaser cards, an author box) sit in other wrappers
    parents = {(el.getparent().tag, el.getparent().get("class")) for el in same}
    if len(parents) > 1:
        return 0
    for el in same:
        if el is not first:
            first.extend(list(el))
            el.getparent().remove(el)
    return len(same) - 1


# ---- the lead, beside the body ----

# a block the page names as the article's lead paragraph: "lead", "intro", "teaser-text",
# "excerpt", "chapo", "vorspann", "abstract" ... (a whole class or id token, or the end of one:
# "article-lead", "ts-intro"; "text" may follow: "leadText", "intro-text"). Not a "dek" or
# "summary": a subheadline set with the headline, which article-body benchmarks leave out (AEB)
_LEAD_NAME = re.compile(
    r"(?:^|[\s_-])(?:lead|intro|teaser|excerpt|abstract|chapo|standfirst|vorspann"
    r"|preface|bajada|entradilla|sapo)(?:-?text)?(?:[\s_-]|$)",
    re.I,
)
# lead art: the picture or video at the head of an article ("lead-asset", "lead-media")
_LEAD_ART = re.compile(r"asset|media|image|photo|video|caption|figure", re.I)
_LEAD_TAGS = frozenset({"p", "div", "section", "header", "h2", "h3", "h4", "span", "strong"})
_SKIP_TEXT = frozenset({"script", "style", "noscript", "template", "head", "title"})
LEAD_MIN_WORDS = 6
LEAD_MAX_WORDS = 150
LEAD_MAX = 2  # lead blocks taken at most
BODY_KEY = 30  # characters of the body's first paragraph looked up in the page


class Leads:
    """The page's text in document order (whitespace collapsed), where its first <h1> starts in
    it, and the blocks named as a lead with where each starts; read before trafilatura changes
    the tree."""

    __slots__ = ("text", "h1", "blocks")

    def __init__(self, tree: Any) -> None:
        from lxml.etree import iterwalk

        parts: list[str] = []
        size = 0
        skip = 0
        self.h1 = -1
        self.blocks: list[tuple[int, str]] = []
        inside: Any = None  # the lead block being walked through, if any
        for event, el in iterwalk(tree, events=("start", "end")):
            tag = el.tag if isinstance(el.tag, str) else ""
            if event == "start":
                if tag in _SKIP_TEXT:
                    skip += 1
                if tag == "h1" and self.h1 < 0:
                    self.h1 = size
                names = f"{el.get('class') or ''} {el.get('id') or ''}"
                if (
                    inside is None
                    and tag in _LEAD_TAGS
                    and skip == 0
                    and _LEAD_NAME.search(names)
                    and not _LEAD_ART.search(names)
                ):
                    inside = el
                    self.blocks.append((size, ""))
                if el.text and skip == 0:
                    piece = " ".join(el.text.split())
                    if piece:
                        parts.append(piece)
                        size += len(piece) + 1
            else:
                if tag in _SKIP_TEXT:
                    skip -= 1
                if el is inside:
                    self.blocks[-1] = (self.blocks[-1][0], _lead_text(el))
                    inside = None
                if el.tail and skip == 0:
                    piece = " ".join(el.tail.split())
                    if piece:
                        parts.append(piece)
                        size += len(piece) + 1
        self.text = " ".join(parts)

    def missing(self, paragraphs: list[str]) -> list[str]:
        """The lead blocks that start after the <h1> and before the body's first paragraph, and
        that the extracted paragraphs do not hold already."""
        if self.h1 < 0 or not self.blocks:
            return []
        body = -1
        for para in paragraphs[:4]:
            key = " ".join(para.split())[:BODY_KEY]
            if len(key) >= BODY_KEY:
                body = self.text.find(key, self.h1)
                if body >= 0:
                    break
        if body < 0:
            return []
        have = " ".join(" ".join(paragraphs).split())
        out = []
        for start, text in self.blocks:
            if (
                self.h1 <= start
                and start + len(text) <= body
                and text
                and text not in have
                and text not in out
            ):
                out.append(text)
        return out[:LEAD_MAX]


# a lead ends as a sentence does; one cut off ("...") is a teaser of another page
_SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019\u00bb)]*$")
_CUT_OFF = re.compile(r"(?:\.\.\.|\u2026)[\"'\u201d\u2019\u00bb)]*$")


def _lead_text(el: Any) -> str:
    """A lead block's text when it reads as one: enough words ending as a sentence, not cut off,
    not mostly links, no code (a script's text written into the block)."""
    text = _text(el)
    n = len(text.split())
    if n < LEAD_MIN_WORDS or n > LEAD_MAX_WORDS or "{" in text:
        return ""
    if not _SENTENCE_END.search(text) or _CUT_OFF.search(text):
        return ""
    links = sum(len(_text(a)) for a in el.iter("a"))
    return "" if links >= 0.5 * len(text) else text


def add_lead(paragraphs: list[str], leads: Leads) -> list[str]:
    """The paragraphs with the page's lead put first where extraction left it out."""
    missing = leads.missing(paragraphs)
    return missing + paragraphs if missing else paragraphs


# ---- metadata ----


def _fold(text: str) -> str:
    return " ".join(_WORDS.findall(text.casefold()))


def _meta(tree: Any, *names: str) -> str | None:
    for name in names:
        # a property may list several names: property="og:title twitter:title"
        query = (
            f'//meta[contains(concat(" ", normalize-space(@property), " "), " {name} ") or @name="{name}"]'
        )
        for value in tree.xpath(query + "/@content")[:1]:
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
            names.update(host.split(".")[:-1])  # each label but the top-level domain
            names.add(host.replace(".", ""))
    return {n for n in names if n}


def _is_site(segment: str, site: set[str]) -> bool:
    """Whether a title part or heading names the site: its name, or a short one holding the host's name."""
    key = _fold(segment)
    if not key:
        return False
    words = key.split()
    return (
        key in site
        or key.replace(" ", "") in site
        or (len(words) <= 2 and any(w in site for w in words if len(w) >= 4))
    )


def choose_title(
    html_title: str | None,
    og_title: str | None,
    headings: list[str],
    site_name: str | None,
    url: str | None,
    ld_headline: str | None = None,
) -> str | None:
    """The page's headline: what <title>, og:title, JSON-LD and <h1> agree on, without a site-name part.

    An <h1> that the JSON-LD `headline` repeats is the headline, whatever the titles say (they
    are often an SEO wording of it).

    A title is split on separators (" | ", " - ", ": " ...); parts naming the site (og:site_name,
    the host name) are dropped, and so is a part that a heading repeats when a longer part stands
    beside it (a site's logo heading). A heading equal to the longest remaining part, or to a
    whole title, is the headline.
    """
    site = _site_words(site_name, url)
    folded_headings = [_fold(h) for h in headings]
    if ld_headline:
        folded_ld = _fold(ld_headline)
        for h, key in zip(headings, folded_headings):
            if key and key == folded_ld and not _is_site(h, site):
                return h
    for h, key in zip(headings, folded_headings):
        if key and not _is_site(h, site) and any(key == _fold(t) for t in (og_title, html_title) if t):
            return h
    titles = [t for t in (og_title, html_title) if t]
    if titles:
        # a headline reworded from the page's title (an SEO title beside it): the only non-site
        # <h1>, when at least half its words are in a title
        real = [h for h in headings if _WORDS.search(h) and not _is_site(h, site)]
        if len(real) == 1 and len(_WORDS.findall(real[0])) >= 3:
            words = set(_fold(real[0]).split())
            if any(len(words & set(_fold(t).split())) >= 0.5 * len(words) for t in titles):
                return real[0]
    for title in titles:
        parts = [
            q for p in _TITLE_SEPARATORS.split(title) for q in _split_site_colon(p, site) if _WORDS.search(q)
        ]
        kept = [p for p in parts if not _is_site(p, site)]
        if len(kept) > 1:
            longest = max(kept, key=lambda p: len(_WORDS.findall(p)))
            logo = [p for p in kept if p is not longest and _fold(p) in folded_headings]
            kept = [p for p in kept if not any(p is q for q in logo)]
        if len(kept) > 1 and not logo:
            # a headline with short section names around it ("Headline | Section | Forum"); with
            # a site name known, only after it ("Covid-19 - what we know" keeps its kicker)
            longest = max(kept, key=len)
            at = next(i for i, p in enumerate(kept) if p is longest)
            if (
                len(_WORDS.findall(longest)) >= 4
                and (site_name is None or at == 0)
                and all(len(_WORDS.findall(p)) <= 3 for p in kept if p is not longest)
            ):
                kept = [longest]
        if kept:
            chosen = _join_parts(title, kept) if len(kept) < len(parts) else title.strip()
            n_words = len(_WORDS.findall(chosen))
            for h, key in zip(headings, folded_headings):
                # the headline inside a title that carries more (a section, a series name)
                if key and key in _fold(chosen) and 3 * len(key.split()) >= n_words and not _is_site(h, site):
                    return h
            return chosen
    for h in headings:
        if not _is_site(h, site):
            return h
    return None


def _split_site_colon(part: str, site: set[str]) -> list[str]:
    """A title part split at a colon only where one side names the site ("Site: headline")."""
    pieces = _COLON.split(part)
    if len(pieces) > 1 and (_is_site(pieces[0], site) or _is_site(pieces[-1], site)):
        return pieces
    return [part]


def _join_parts(title: str, kept: list[str]) -> str:
    """The kept parts of a split title, joined as they stood in the title."""
    start = title.find(kept[0])
    end = title.rfind(kept[-1]) + len(kept[-1])
    return title[start:end].strip() if 0 <= start < end else " ".join(kept)


_CDATA = re.compile(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$")


def _ld_headline(tree: Any) -> str | None:
    """The first `headline` of the page's JSON-LD (an Article's), or None."""
    for script in tree.xpath('//script[@type="application/ld+json"]/text()')[:10]:
        try:
            data = json.loads(_CDATA.sub("", str(script)))
        except ValueError:
            continue
        queue = [data]
        while queue:
            item = queue.pop(0)
            if isinstance(item, dict):
                value = item.get("headline")
                if isinstance(value, str) and value.strip():
                    return " ".join(value.split())
                queue.extend(v for v in item.values() if isinstance(v, (dict, list)))
            elif isinstance(item, list):
                queue.extend(item)
    return None


def _headings(tree: Any) -> list[str]:
    """The page's <h1> texts; after each, its parts where it is built of several blocks (a kicker
    and a headline in spans of their own), so that a title naming one part can pick it."""
    out = []
    for el in tree.xpath("//h1")[:5]:
        text = " ".join(el.text_content().split())
        if not text:
            continue
        out.append(text)
        parts = _heading_parts(el)
        if len(parts) > 1:
            out.extend(parts)
    return out


def _heading_parts(el: Any) -> list[str]:
    """The texts of a heading's blocks: its own text, each child element's, each text after one
    (a kicker span, then the headline), split at <br>; inside a lone wrapping child, that child's."""
    while (
        len(el) == 1
        and isinstance(el[0].tag, str)
        and not (el.text or "").strip()
        and not (el[0].tail or "").strip()
    ):
        el = el[0]
    pieces = [el.text]
    for child in el:
        if isinstance(child.tag, str) and child.tag != "br":
            pieces.append(child.text_content())
        pieces.append(child.tail)
    return [p for p in (" ".join((q or "").split()) for q in pieces) if p]


# ---- author ----
# trafilatura's extract_author(tree) without its copy of the tree and its XPaths' EXSLT regexes
# (re:test calls back into Python for every attribute it tests: ~9 ms a page, as long as the
# text extraction). The patterns are those of trafilatura 2.3's AUTHOR_DISCARD_XPATHS and
# AUTHOR_XPATHS (xpaths.py), searched with re.search as lxml's re:test does, on "" where the
# attribute is absent. tests/test_extract.py and benchmarks/author.py check the result is
# trafilatura's (all 910 benchmark pages the same).
_DISCARD_TAGS = frozenset({"a", "div", "section", "span"})
_DISCARD_ID = re.compile(r"^comments|comment-?list|ProductReviews")
_DISCARD_CLASS = re.compile(
    r"^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram"
    r"|article-(?:share|support)|print|category|meta-date|meta-reviewer"
)
_AUTHOR1_TAGS = frozenset({"a", "address", "div", "link", "p", "span", "strong"})
_AUTHOR1_CLASS = re.compile(r"author-?name|AuthorName|authorName")
_AUTHOR2_TAGS = frozenset({"a", "div", "h3", "h4", "p", "span"})
_AUTHOR2_ID = re.compile(r"author|zuozhe|bianji|xiaobian")
_AUTHOR2_CLASS = re.compile(
    r"author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name"
)
_AUTHOR3_ID = re.compile(r"[Aa]uthor")
_AUTHOR3_CLASS = re.compile(r"[Aa]uthor|screenname|writer|[Bb]yline")
# a quick first test: every class or id the patterns above match has one of these in it, or is
# one of the exact values
_ANY_CLASS = re.compile(
    r"omment|sidebar|is-hidden|quote|embedly-instagram|article-s|print|category|meta-date"
    r"|meta-reviewer|uthor|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by"
    r"|journalist-name|screenname|writer|yline"
)
_ANY_CLASS_VALUES = frozenset({"title", "date", "username", "byl", "BBL"})
_ANY_ID = re.compile(r"omment|ProductReviews|uthor|zuozhe|bianji|xiaobian")
_DISCARD, _AUTHOR1, _AUTHOR2, _AUTHOR3 = 1, 2, 4, 8  # which of those a class or id matches


@functools.lru_cache(maxsize=8192)
def _class_marks(cls: str) -> int:
    """Which of the patterns above a class attribute matches (many elements share a class)."""
    if not _ANY_CLASS.search(cls) and cls not in _ANY_CLASS_VALUES:
        return 0
    return (
        (_DISCARD if cls in ("comments", "title", "date") or _DISCARD_CLASS.search(cls) else 0)
        | (_AUTHOR1 if cls == "author" or _AUTHOR1_CLASS.search(cls) else 0)
        | (_AUTHOR2 if cls in ("byline", "username", "byl", "BBL") or _AUTHOR2_CLASS.search(cls) else 0)
        | (_AUTHOR3 if _AUTHOR3_CLASS.search(cls) else 0)
    )


def _id_marks(ident: str) -> int:
    """Which of the patterns above an id attribute matches."""
    if not _ANY_ID.search(ident):
        return 0
    return (
        (_DISCARD if ident == "comments" or _DISCARD_ID.search(ident) else 0)
        | (_AUTHOR1 if ident == "author" else 0)
        | (_AUTHOR2 if _AUTHOR2_ID.search(ident) else 0)
        | (_AUTHOR3 if _AUTHOR3_ID.search(ident) else 0)
    )


# the attributes and tags all the above test
_AUTHOR_ATTRIBUTES = frozenset({"class", "id", "itemprop", "data-component", "data-testid", "rel"})
_AUTHOR_TAGS = frozenset({"time", "figure", "author", "rel"})
_AUTHOR_LEN_LIMIT = 120  # extract_author's len_limit


class _Pruned:
    """A tree read as if trafilatura's prune_unwanted_nodes had deleted `discarded` from it:
    a deleted element's text goes, its tail is joined to the text before it."""

    def __init__(self, discarded: set[Any]) -> None:
        self.discarded = discarded
        self._dirty: set[Any] = set()  # elements holding a discarded one
        for d in discarded:
            for a in d.iterancestors():
                if a in self._dirty:
                    break
                self._dirty.add(a)

    def removed(self, el: Any) -> bool:
        """Whether `el` was deleted, itself or with an ancestor."""
        discarded = self.discarded
        return bool(discarded) and (el in discarded or any(a in discarded for a in el.iterancestors()))

    def itertext(self, el: Any) -> list[str]:
        """`el.itertext()` in the pruned tree (`el` not removed)."""
        out: list[str] = []
        self._walk(el, out)
        return out

    def _walk(self, el: Any, out: list[str]) -> None:
        if el not in self._dirty:
            out.extend(el.itertext())
            return
        slot = el.text  # where the tail of a deleted child goes
        for child in el:
            if child in self.discarded:
                if child.tail:
                    slot = (slot or "") + child.tail
                continue
            if slot is not None:
                out.append(slot)
            if isinstance(child.tag, str):
                self._walk(child, out)
            slot = child.tail  # itertext gives a comment's tail, not its text
        if slot is not None:
            out.append(slot)


def extract_author(tree: Any) -> str | None:
    """The page's author from its markup: the result of trafilatura's
    `metadata.extract_author(tree)`, in one pass over the tree, about four times as fast."""
    from trafilatura.json_metadata import normalize_authors
    from trafilatura.utils import trim

    discarded: set[Any] = set()  # AUTHOR_DISCARD_XPATHS
    found: tuple[list[Any], list[Any], list[Any]] = ([], [], [])  # each of AUTHOR_XPATHS
    rel_parents: list[Any] = []  # may match AUTHOR_XPATHS[0]'s `rel='me'`: a <rel> child reading "me"
    for el in tree.iter():
        tag = el.tag
        if _AUTHOR_ATTRIBUTES.isdisjoint(el.keys()) and tag not in _AUTHOR_TAGS:
            continue  # also comments and processing instructions
        get = el.get
        cls = get("class")
        ident = get("id")
        marks = (_class_marks(cls) if cls else 0) | (_id_marks(ident) if ident else 0)
        itemprop = get("itemprop") or ""
        component = get("data-component") or ""
        if tag == "rel":
            parent = el.getparent()
            if parent is not None and parent.tag in _AUTHOR1_TAGS:
                rel_parents.append(parent)
        if el is not tree and (  # the root is not deleted, and `.//*` leaves it out
            tag == "time"
            or tag == "figure"
            or (tag in _DISCARD_TAGS and (marks & _DISCARD or "Figure" in component))
        ):
            discarded.add(el)
            continue
        if tag == "author" or (
            tag in _AUTHOR1_TAGS
            and (
                marks & _AUTHOR1
                or get("rel") == "author"
                or itemprop == "author name"
                or get("data-testid") in ("AuthorCard", "AuthorURL")
            )
        ):
            found[0].append(el)
        if tag in _AUTHOR2_TAGS and (marks & _AUTHOR2 or "author" in itemprop):
            found[1].append(el)
        if marks & _AUTHOR3 or "Byline" in component or "author" in itemprop:
            found[2].append(el)
    pruned = _Pruned(discarded)
    if rel_parents:
        matched = set(found[0])
        found[0].extend(
            el
            for el in dict.fromkeys(rel_parents)
            if el not in matched
            and not pruned.removed(el)
            and any("".join(pruned.itertext(c)) == "me" for c in el.iterchildren("rel"))
        )
        order = {el: i for i, el in enumerate(tree.iter())}
        found[0].sort(key=order.__getitem__)
    for candidates in found:
        for el in candidates:
            if pruned.removed(el):
                continue
            content = trim(" ".join(pruned.itertext(el)))
            if content and 2 < len(content) < _AUTHOR_LEN_LIMIT:
                return normalize_authors(None, content)
    return None


def page_metadata(tree: Any, url: str | None) -> Any:
    """trafilatura's metadata of a page (title, author, url, date, site name), without the
    categories, tags and license it also looks for (a third of its time, unused here)."""
    from htmldate import find_date
    from trafilatura.metadata import (
        examine_meta,
        extract_meta_json,
        extract_sitename,
        extract_url,
    )
    from trafilatura.settings import set_date_params

    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:  # a user name, not a person's (as trafilatura does)
        meta.author = None
    with contextlib.suppress(Exception):  # bugs in trafilatura's JSON-LD parsing
        meta = extract_meta_json(tree, meta)
    meta.author = meta.author or extract_author(tree)  # ours, the same result
    meta.url = meta.url or extract_url(tree, url)
    meta.date = find_date(tree, **{**set_date_params(True), "url": meta.url})
    meta.sitename = (meta.sitename or extract_sitename(tree) or "").lstrip("@") or None
    return meta


def fill_metadata(rec: Record, tree: Any) -> None:
    """title, author, date (YYYY-MM-DD) and url from the page where the record lacks them."""
    meta = page_metadata(tree, rec.url)  # reads the tree; htmldate and trafilatura copy it to prune
    if rec.url is None:
        rec.url = meta.url or _canonical(tree)
    if rec.title is None:
        html_title = " ".join(t for t in tree.xpath("//head/title/text()")[:1]).strip() or None
        og_title = _meta(tree, "dc:title", "DC.title", "og:title", "twitter:title", "parsely-title")
        site_name = _meta(tree, "og:site_name", "application-name") or meta.sitename
        title = choose_title(html_title, og_title, _headings(tree), site_name, rec.url, _ld_headline(tree))
        if title is None:
            from trafilatura.metadata import extract_title

            title = meta.title or extract_title(tree)
        rec.title = title
    if rec.author is None and meta.author:
        rec.author = meta.author
    if rec.date is None and meta.date:
        rec.date = str(meta.date)[:10]


def _canonical(tree: Any) -> str | None:
    for href in tree.xpath('//link[@rel="canonical"]/@href')[:1]:
        return str(href).strip() or None
    return _meta(tree, "og:url")


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
