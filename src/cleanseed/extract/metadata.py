"""A page's title, author, date (htmldate) and url, filled in where its record lacks them."""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

from cleanseed.extract.author import extract_author
from cleanseed.record import Record, url_host

_WORDS = re.compile(r"\w+")
# separators between a headline and a site or section name; a colon only next to a site name
# ("Site: headline"), since "Kicker: headline" is one headline
_TITLE_SEPARATORS = re.compile(r"\s+(?:[|\-\u2013\u2014\u00bb\u00b7/\u2022~]+|::+)\s+|\s*\|\s+")
_COLON = re.compile(r"\s*:\s+")


# ---- the title ----


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
        host = re.sub(r"^(www\d?|m|amp)\.", "", url_host(url))
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


# ---- the page's metadata ----


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
