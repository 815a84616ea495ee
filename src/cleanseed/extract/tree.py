"""The parsed page before trafilatura runs: furniture pruned, body chunks joined, the lead read."""

from __future__ import annotations

import functools
import re
from typing import Any

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
