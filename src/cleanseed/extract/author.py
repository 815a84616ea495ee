"""The page's author from its markup: trafilatura's `extract_author`, in one pass over the tree."""

from __future__ import annotations

import functools
import re
from typing import Any

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
