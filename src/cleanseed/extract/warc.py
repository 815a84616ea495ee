"""WARC input: one Record per HTML response record of an archive, the rest skipped and counted."""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from typing import IO, Any

from cleanseed.record import Record

HTML_TYPES = ("text/html", "application/xhtml+xml")


def read_warc(stream: IO[bytes], source: str) -> Iterator[Record]:
    """One Record per HTML response record of a WARC stream; the rest skipped and counted."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    from cleanseed.readers import declared_charset, decode_bytes

    skipped = 0
    try:
        for record in ArchiveIterator(_Told(stream), record_types=WarcRecordType.any_type, parse_http=True):
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


class _Told(io.RawIOBase):
    """A byte stream read forward that knows its position.

    FastWARC (2.x, in Rust) asks every stream it reads for `tell()` and panics where the stream
    cannot tell: a Rust panic, which no `except Exception` catches, ends the whole run. A pipe
    cannot tell, nor can a file read through the byte counter of the progress line.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw, self._pos = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self._raw.read(len(b))
        n = len(data)
        b[:n] = data
        self._pos += n
        return n

    def tell(self) -> int:
        return self._pos


def _header_charset(content_type: str) -> str | None:
    match = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.I)
    return match.group(1) if match else None
