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
    told = _Told(stream)
    try:
        for record in ArchiveIterator(told, record_types=WarcRecordType.any_type, parse_http=True):
            rid = record.headers.get("WARC-Record-ID", "") or f"{source}:{record.stream_pos}"
            if record.headers.get("Content-Length") is None:  # required: the header was cut short
                yield Record(
                    id=rid,
                    source=source,
                    error=f"truncated: the archive ends in a record's header{_why(told)}",
                )
                continue
            ctype = (record.http_headers.get("Content-Type", "") if record.http_headers else "") or ""
            if record.record_type != WarcRecordType.response or not ctype.lower().startswith(HTML_TYPES):
                skipped += 1
                continue
            url = record.headers.get("WARC-Target-URI") or None
            data = record.reader.read()
            rec = Record(id=rid, source=source, url=url)
            if len(data) < record.content_length:  # FastWARC hands on a record cut short as it is
                rec.error = (
                    f"truncated: the record ends after {len(data)} of {record.content_length} bytes"
                    + _why(told)
                )
                yield rec
                continue
            charset = _header_charset(ctype) or declared_charset(data)
            text = decode_bytes(data, charset)
            if text.strip():
                rec.html = text
            else:
                rec.error = "empty document"
            yield rec
    except Exception as exc:  # a corrupt archive: keep what was read
        yield Record(id=source, source=source, error=f"cannot read WARC: {exc}")
    if told.error is not None:  # the stream ended early between records: say so
        yield Record(id=source, source=source, error=f"truncated: {told.error}")
    if skipped:
        print(f"cleanseed: {source}: skipped {skipped} non-HTML WARC records", file=sys.stderr)


def _why(told: _Told) -> str:
    """The error that ended the stream early, in brackets, or ''; it is reported here, once."""
    error, told.error = told.error, None
    return f" ({error})" if error else ""


class _Told(io.RawIOBase):
    """A byte stream read forward that knows its position.

    FastWARC (2.x, in Rust) asks every stream it reads for `tell()` and panics where the stream
    cannot tell: a Rust panic, which no `except Exception` catches, ends the whole run. A pipe
    cannot tell, nor can a file read through the byte counter of the progress line.

    A read that fails (a gzip or zstd stream cut short) ends the stream and is kept in `error`:
    raised through FastWARC, it would lose the whole records in FastWARC's buffer.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw, self._pos = raw, 0
        self._read = getattr(raw, "read1", raw.read)  # at most one read below: a failing one loses none
        self.error: str | None = None  # why the stream ended early, until reported
        self._ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self._ended:
            return 0
        try:
            data = self._read(len(b))
        except Exception as exc:  # EOFError, OSError, zlib.error, zstandard.ZstdError
            self.error, self._ended = f"{exc}", True
            return 0
        n = len(data)
        b[:n] = data
        self._pos += n
        return n

    def tell(self) -> int:
        return self._pos


def _header_charset(content_type: str) -> str | None:
    match = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.I)
    return match.group(1) if match else None
