"""Sources -> Records: text, JSONL, HTML and WARC files (gzip/zstd too), folders, globs, stdin.

Every input document becomes exactly one Record. A document that cannot be read becomes a
Record with `error` set, so the run goes on and the summary can account for it.
"""

from __future__ import annotations

import codecs
import glob
import gzip
import io
import os
import re
import stat
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, cast

import orjson

from cleanseed.record import Record

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
TEXT_EXTS = {".txt", ".text", ".md"}
JSONL_EXTS = {".jsonl", ".ndjson", ".json"}
HTML_EXTS = {".html", ".htm", ".xhtml"}
WARC_EXTS = {".warc"}
# Metadata fields of an input JSONL record that map onto the Record's own fields.
META_FIELDS = ("title", "author", "date", "url")
# orjson reads JSON 1024 levels deep but writes only 254: a record deeper than that cannot be written
MAX_DEPTH = 254
_BLANK_LINE = re.compile(r"\n[ \t\u00a0]*\n")


def expand_inputs(inputs: Iterable[str]) -> Iterator[str]:
    """Paths in a stable order: folders recursed (sorted), globs expanded (sorted), '-' as is.

    A name that matches nothing is yielded as is, so that reading it fails with a clear error.
    """
    for name in inputs:
        if name == "-":
            yield name
        elif os.path.isdir(name):
            # a folder that cannot be listed is yielded itself, so reading it reports why
            unlisted: list[OSError] = []
            for root, dirs, files in os.walk(name, onerror=unlisted.append):
                yield from (str(e.filename) for e in unlisted)
                unlisted.clear()
                dirs.sort()
                for fname in sorted(files):
                    yield os.path.join(root, fname)
            yield from (str(e.filename) for e in unlisted)
        elif not os.path.exists(name) and glob.has_magic(name):
            matches = sorted(glob.glob(name, recursive=True))
            if not matches:
                yield name
            for match in matches:
                yield from expand_inputs([match]) if os.path.isdir(match) else [match]
        else:
            yield name


def read_sources(
    inputs: Iterable[str],
    text_field: str = "text",
    stdin: IO[bytes] | None = None,
    tally: Callable[[int], None] | None = None,
    output: IO[bytes] | None = None,
) -> Iterator[Record]:
    """Every document of every input, in order; `tally` hears of every input byte read.

    An input that is the same file as `output` (`cleanseed clean dir/ > dir/out.jsonl`) is not
    read, as cat and grep do not: it would be read as it grows, without end.
    """
    avoid = _file_id(output)
    for path in expand_inputs(inputs):
        if path == "-":
            if stdin is None and sys.stdin is None:  # closed by the shell (<&-)
                yield Record(id=path, source=path, error="cannot read: standard input is closed")
                continue
            fin = stdin if stdin is not None else sys.stdin.buffer
            if avoid is not None and _file_id(fin) == avoid:
                yield Record(id=path, source=path, error=_IS_OUTPUT)
                continue
            yield from read_stream(cast(IO[bytes], _Tallied(fin, tally)) if tally else fin, "-", text_field)
            continue
        try:
            if os.path.isdir(path):  # only a folder that could not be listed gets here
                os.listdir(path)
            fh = open(path, "rb")
        except OSError as exc:
            yield Record(id=path, source=path, error=f"cannot read: {exc.strerror or exc}")
            continue
        if avoid is not None and _file_id(fh) == avoid:
            fh.close()
            yield Record(id=path, source=path, error=_IS_OUTPUT)
            continue
        with fh:
            yield from read_stream(cast(IO[bytes], _Tallied(fh, tally)) if tally else fh, path, text_field)


_IS_OUTPUT = "input file is the output file"


def _file_id(stream: IO[bytes] | None) -> tuple[int, int] | None:
    """(device, inode) of a regular file open as `stream`; None for anything else (a pipe, a
    terminal, a stream without a descriptor)."""
    try:
        st = os.fstat(stream.fileno()) if stream is not None else None
    except (OSError, ValueError, io.UnsupportedOperation):
        return None
    return (st.st_dev, st.st_ino) if st is not None and stat.S_ISREG(st.st_mode) else None


class _Tallied(io.RawIOBase):
    """A byte stream that reports how many bytes it has read (for bytes in and progress)."""

    def __init__(self, raw: IO[bytes], tally: Callable[[int], None]) -> None:
        self._raw, self._tally = raw, tally
        # readinto1 returns what a pipe has now instead of waiting to fill the buffer
        self._readinto = getattr(raw, "readinto1", None) or raw.readinto  # type: ignore[attr-defined]

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = self._readinto(b) or 0
        self._tally(n)
        return n


def _strip_compression_ext(path: str) -> tuple[str, str]:
    base, ext = os.path.splitext(path.lower())
    if ext in (".gz", ".zst", ".zstd"):
        return os.path.splitext(base)[1], ext
    return ext, ""


def _decompressed(raw: IO[bytes], head: bytes) -> IO[bytes]:
    if head.startswith(GZIP_MAGIC):
        return cast(IO[bytes], _Read1(gzip.GzipFile(fileobj=raw)))
    if head.startswith(ZSTD_MAGIC):
        return cast(IO[bytes], _ZstdReader(raw))
    return raw


class _Read1(io.RawIOBase):
    """A gzip stream read a little at a time, so that a file cut short gives what comes before the cut.

    GzipFile's `read(n)` raises at the cut and drops the bytes it decoded on the way: the first
    look at a file's head (a buffer's worth) lost the whole of a small truncated file.
    """

    def __init__(self, raw: gzip.GzipFile) -> None:
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self._raw.read1(len(b))
        n = len(data)
        b[:n] = data
        return n


class _Recoded(io.RawIOBase):
    """A UTF-16 or UTF-32 byte stream as UTF-8 (its byte-order mark dropped): JSONL lines are UTF-8."""

    def __init__(self, raw: IO[bytes], encoding: str) -> None:
        import codecs

        self._raw, self._buf, self._pos = raw, b"", 0
        self._decoder = codecs.getincrementaldecoder(encoding.rsplit("-", 1)[0])(errors="replace")
        self._read = getattr(raw, "read1", raw.read)

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while self._pos >= len(self._buf):
            chunk = self._read(1 << 16)
            self._buf, self._pos = self._decoder.decode(chunk, final=not chunk).encode("utf-8"), 0
            if not chunk:
                break
        n = min(len(b), len(self._buf) - self._pos)
        b[:n] = self._buf[self._pos : self._pos + n]
        self._pos += n
        return n


class _ZstdReader(io.RawIOBase):
    """Zstandard frames as one stream; a frame cut short raises EOFError.

    zstandard's own `stream_reader` ends silently at a truncated frame, which would drop
    documents without a word.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        import zstandard

        self._raw, self._dctx = raw, zstandard.ZstdDecompressor()
        self._obj: Any = None
        self._buf, self._pos = b"", 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while self._pos >= len(self._buf):
            chunk = self._raw.read(1 << 16)
            if not chunk:
                if self._obj is not None and not self._obj.eof:
                    raise EOFError("zstd stream ended inside a frame")
                return 0
            out = []
            while chunk:
                if self._obj is None or self._obj.eof:
                    self._obj = self._dctx.decompressobj()
                out.append(self._obj.decompress(chunk))
                chunk = self._obj.unused_data if self._obj.eof else b""
            self._buf, self._pos = b"".join(out), 0
        n = min(len(b), len(self._buf) - self._pos)
        b[:n] = self._buf[self._pos : self._pos + n]
        self._pos += n
        return n


def _sniff(head: bytes) -> str:
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"WARC/"):
        return "warc"
    if stripped.startswith(b"{"):
        return "jsonl"
    if stripped[:1] == b"<" and re.match(
        rb"<(!doctype|html|head|body|meta|\?xml|!--|div|p\b)", stripped[:64], re.I
    ):
        return "html"
    return "text"


def read_stream(raw: IO[bytes], source: str, text_field: str = "text") -> Iterator[Record]:
    """The documents of one open byte stream; its format from the file name, else its content."""
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[arg-type,type-var]
    try:
        head = buffered.peek(8)[:8]
        stream = _decompressed(buffered, head)
        if stream is not buffered:
            stream = io.BufferedReader(stream)  # type: ignore[arg-type,type-var]
            head = stream.peek(512)[:512]  # type: ignore[attr-defined]
        else:
            head = buffered.peek(512)[:512]
    except (OSError, EOFError, zlib.error) as exc:
        yield Record(id=source, source=source, error=f"cannot read: {exc}")
        return
    except Exception as exc:  # zstandard raises its own ZstdError
        yield Record(id=source, source=source, error=f"cannot read: {exc}")
        return
    ext, _ = _strip_compression_ext(source) if source != "-" else ("", "")
    if ext == ".arc":
        yield Record(id=source, source=source, error="ARC, the format before WARC, is not supported")
        return
    bom = bom_encoding(head)
    if bom is not None:  # sniff UTF-16 or UTF-32 by its characters; JSONL lines are read as UTF-8
        head = head[bom[1] :].decode(bom[0], errors="ignore").encode("utf-8")
    if ext in JSONL_EXTS:
        kind = "jsonl"
    elif ext in HTML_EXTS:
        kind = "html"
    elif ext in WARC_EXTS:
        kind = "warc"
    elif ext in TEXT_EXTS:
        kind = "text"
    else:
        kind = _sniff(head)
    if kind == "jsonl":
        if bom is not None:
            stream = io.BufferedReader(cast(Any, _Recoded(stream, bom[0])))
        yield from read_jsonl(stream, source, text_field)
    elif kind == "warc":
        from cleanseed.extract import read_warc

        yield from read_warc(stream, source)
    else:
        yield read_document(stream, source, html=kind == "html")


def _read_all(stream: IO[bytes]) -> tuple[bytes, str | None]:
    """All bytes a stream gives, and an error when it ends early (a truncated gzip or zstd)."""
    chunks: list[bytes] = []
    # read1: a read that fails midway loses what it decoded, so keep each read small
    read = getattr(stream, "read1", stream.read)
    try:
        while True:
            chunk = read(1 << 16)
            if not chunk:
                return b"".join(chunks), None
            chunks.append(chunk)
    except (EOFError, OSError, zlib.error) as exc:
        return b"".join(chunks), f"truncated: {exc}"
    except Exception as exc:  # zstandard.ZstdError
        return b"".join(chunks), f"truncated: {exc}"


# byte-order marks of the encodings that have them, longest first (UTF-32-LE's begins as UTF-16-LE's)
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le", 4),
    (b"\x00\x00\xfe\xff", "utf-32-be", 4),
    (b"\xff\xfe", "utf-16-le", 2),
    (b"\xfe\xff", "utf-16-be", 2),
)


def bom_encoding(data: bytes) -> tuple[str, int] | None:
    """(encoding, BOM length) when `data` begins with a UTF-16 or UTF-32 byte-order mark and its
    first 8 KiB decode in that encoding; None otherwise (a BOM alone does not make bytes text)."""
    for bom, encoding, unit in _BOMS:
        if data.startswith(bom):
            sample = data[len(bom) : 8192]
            try:
                sample[: len(sample) - len(sample) % unit].decode(encoding)
            except UnicodeDecodeError:
                return None
            return encoding, len(bom)
    return None


# a cp1252 reading this close in chaos to the cleanest reading, and as coherent, is preferred
_CHAOS_TOLERANCE = 0.1


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Text from bytes: UTF-8 (BOM stripped), UTF-16/32 with a BOM, else a declared charset,
    else detection. Never raises."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    bom = bom_encoding(data)
    if bom is not None:
        return data[bom[1] :].decode(bom[0], errors="replace")
    if declared:
        try:
            return data.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass
    from charset_normalizer import from_bytes

    results = from_bytes(data[: 1 << 20])
    best = results.best()
    if best is not None and any(
        "cp1252" in r.could_be_from_charset
        and r.chaos <= best.chaos + _CHAOS_TOLERANCE
        and r.coherence >= best.coherence
        for r in results
    ):
        # short samples tell single-byte encodings apart badly (French Latin-1 reads as cleanly in
        # cp775, DOS Baltic), and cp1252 is by far the most common legacy encoding on the web
        return data.decode("cp1252", errors="replace")
    if best is not None and best.encoding:
        try:
            return data.decode(best.encoding, errors="replace")
        except LookupError:
            pass
    return data.decode("cp1252", errors="replace")


_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)


def declared_charset(data: bytes) -> str | None:
    """The charset an HTML page declares in a <meta> tag of its first 4 KiB, or None."""
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii", "replace") if match else None


def is_binary(data: bytes) -> bool:
    """Bytes that are not text: NULs (but a stray few in UTF-8) or many control bytes in the
    first 8 KiB (of the decoded text, for UTF-16 or UTF-32 with a byte-order mark)."""
    bom = bom_encoding(data)
    if bom is not None:
        text = data[bom[1] : 8192].decode(bom[0], errors="ignore")
        controls = sum(1 for c in text if c < "\t" or "\r" < c < " ")
        return bool(text) and controls / len(text) > 0.1
    sample = data[:8192]
    if b"\x00" in sample and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        # a stray NUL in UTF-8 text (a scraped page, seen in crawls) is not binary: text is few
        # NULs (one, or 1%) among bytes that decode, which random bytes around them almost never do
        if sample.count(b"\x00") > max(1, len(sample) // 100) or not _is_utf8(sample):
            return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return bool(sample) and controls / len(sample) > 0.1


def _is_utf8(sample: bytes) -> bool:
    """The bytes decode as UTF-8, but for a character the sample may have cut at its end."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


def split_blocks(text: str) -> list[str]:
    """Paragraphs of plain text: blocks between blank lines, or lines when there is no blank line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    parts = _BLANK_LINE.split(text) if _BLANK_LINE.search(text) else text.split("\n")
    return [p.strip() for p in parts if p.strip()]


def read_document(stream: IO[bytes], source: str, html: bool = False) -> Record:
    """One file (or all of standard input) as one document."""
    data, truncated = _read_all(stream)
    rec = Record(id=source, source=source)
    if is_binary(data):
        rec.error = "binary file"
        return rec
    text = decode_bytes(data, declared_charset(data) if html else None).replace("\x00", "")
    if not text.strip():
        rec.error = truncated or "empty document"
        return rec
    if truncated:
        print(f"cleanseed: {source}: {truncated}; kept what was readable", file=sys.stderr)
    if html:
        rec.html = text
    else:
        rec.paragraphs = split_blocks(text)
    return rec


def record_from_object(obj: dict[str, Any], source: str, default_id: str, text_field: str = "text") -> Record:
    """A Record from one JSON object: `text_field` (or raw `html`) read, other fields passed through."""
    rid = obj.get("id")
    rec = Record(id=default_id if rid is None else str(rid), source=source)
    for key in META_FIELDS:
        value = obj.get(key)
        if value is not None:
            setattr(rec, key, value if isinstance(value, str) else str(value))
    consumed = {"id", text_field, *META_FIELDS}
    text = obj.get(text_field)
    if isinstance(text, str):
        rec.paragraphs = split_blocks(text)
    elif text is None and isinstance(obj.get("html"), str):
        rec.html = obj["html"]
        consumed.add("html")
    elif text is None:
        rec.error = f"no {text_field!r} field"
    else:
        rec.error = f"{text_field!r} is not a string"
    rec.extra = {k: v for k, v in obj.items() if k not in consumed}
    return rec


def _too_deep(obj: Any) -> bool:
    try:
        orjson.dumps(obj)
    except orjson.JSONEncodeError:
        return True
    return False


def read_jsonl(stream: IO[bytes], source: str, text_field: str = "text") -> Iterator[Record]:
    """One Record per line; bad lines become error Records naming the line."""
    lineno = 0
    blank = 0
    try:
        for line in stream:
            lineno += 1
            where = f"{source}:{lineno}"
            if not line.strip():
                blank += 1
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError:
                try:
                    obj = orjson.loads(decode_bytes(line))
                except orjson.JSONDecodeError as exc:
                    yield Record(id=where, source=where, error=f"malformed JSON: {exc}")
                    continue
            if (line.count(b"[") + line.count(b"{") > MAX_DEPTH) and _too_deep(obj):
                yield Record(id=where, source=where, error=f"nested too deeply (over {MAX_DEPTH} levels)")
                continue
            if not isinstance(obj, dict):
                yield Record(
                    id=where, source=where, error=f"line is a JSON {type(obj).__name__}, not an object"
                )
                continue
            yield record_from_object(obj, where, where, text_field)
        if blank == lineno:  # not one document in it: say so rather than pass it over in silence
            yield Record(id=source, source=source, error="empty file")
    except (EOFError, OSError, zlib.error) as exc:
        yield Record(id=f"{source}:{lineno + 1}", source=f"{source}:{lineno + 1}", error=f"truncated: {exc}")
    except Exception as exc:  # zstandard.ZstdError on a truncated frame
        if type(exc).__module__.startswith("zstandard"):
            yield Record(
                id=f"{source}:{lineno + 1}", source=f"{source}:{lineno + 1}", error=f"truncated: {exc}"
            )
        else:
            raise
