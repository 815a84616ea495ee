"""Record, the one type that flows through the stages, and its JSON form (see shared/SCHEMA.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


def url_host(url: str) -> str:
    """The host name of a URL, lower-cased; "" when it has none or does not parse (urlsplit
    raises ValueError on a bracketed host that is not an IPv6 address, or is not closed)."""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


@dataclass(slots=True)
class Record:
    """One input document on its way through the pipeline.

    `html` holds raw markup awaiting extraction (None once extracted, or for text input);
    `paragraphs` the kept text; `removed` what was taken out and why; `duplicates` what a
    marking run found but kept; `duplicate_of` the document this one repeats as a whole.
    """

    id: str
    source: str
    title: str | None = None
    author: str | None = None
    date: str | None = None
    url: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    duplicate_of: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    html: str | None = None

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    def to_dict(self, mark: bool = False) -> dict[str, Any]:
        """The output object, keys in the contract's fixed order, then passed-through fields."""
        out: dict[str, Any] = {
            "id": self.id,
            "source": self.source,
            "text": self.text,
            "title": self.title,
            "author": self.author,
            "date": self.date,
            "url": self.url,
            "removed": self.removed,
        }
        if mark:
            out["duplicates"] = self.duplicates
        if self.duplicate_of is not None:
            out["duplicate_of"] = self.duplicate_of
        for key, value in self.extra.items():
            if key not in out:
                out[key] = value
        return out
