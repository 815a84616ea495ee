"""The Redis index: a log of added items on a server, shared by processes, and a local replica."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np

from cleanseed.config import DedupConfig
from cleanseed.errors import IndexError_
from cleanseed.index.memory import Addition, MemoryIndex
from cleanseed.index.meta import FORMAT, VERSION, signature_options
from cleanseed.index.runs import PREFIX_BITS, _prefixes

_PREFIX = "cleanseed:"
_PAGE = 256  # segments fetched per round trip when catching up

# Append a segment only if the log is as long as the caller last saw it; else return what it missed.
_PUSH = """
local n = redis.call('LLEN', KEYS[1])
if n == tonumber(ARGV[1]) then
  redis.call('RPUSH', KEYS[1], ARGV[2])
  return {}
end
return redis.call('LRANGE', KEYS[1], ARGV[1], tonumber(ARGV[1]) + tonumber(ARGV[3]) - 1)
"""


class RedisIndex(MemoryIndex):
    """A log of added items in a Redis server, shared by every process that names it, and this
    process's replica of it (a MemoryIndex, so queries never leave the process).

    Keys (prefix `cleanseed:`): `meta` (format and signature options, checked on open) and `log`,
    a list of segments: one per committed batch, the batch's kept items (per item the 14-bit
    band-key prefixes, the 4-bit signature, shingle count and paragraph; per document its id),
    about 70 bytes an item. A batch is judged against the replica, then appended by a script
    that refuses when the log has grown since this process last read it and returns the
    segments it missed instead: the replica takes them and the batch is judged again. So no two
    processes ever both keep one passage; which copy is kept follows the order of the log.
    Opening the index reads the whole log (in pages of 256 segments): memory and start-up
    grow with the index, as a MemoryIndex's do.
    """

    def __init__(self, url: str, config: DedupConfig) -> None:
        super().__init__(config.num_perm, config.bands)
        try:
            import redis
        except ImportError as exc:
            raise IndexError_(
                "a redis:// index needs the redis client: pip install 'cleanseed[redis]'"
            ) from exc
        from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

        try:  # the message leaves the URL out: it may hold a password
            parts = urlsplit(url)
            port = parts.port  # raises on a port that is not a number in range
            if not parts.hostname:
                raise ValueError("no host")
            # redis-py reads "/x" as database 0 and "/1/2" as 12: a typo would share another index
            database = parts.path.strip("/")
            if database and not (database.isascii() and database.isdigit()):
                raise ValueError(f"the database must be a number, not {database!r}")
        except ValueError as exc:
            raise IndexError_(f"bad index URL: {exc}") from exc
        # `bucket_bits` shaped the version 1 layout; the log has no buckets
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "bucket_bits"]
        url = urlunsplit(parts._replace(query=urlencode(query)))
        self.url = url
        self.options = signature_options(config)
        self._shown = f"{parts.scheme}://{parts.hostname}:{port or 6379}{parts.path}"
        self._errors = redis.RedisError
        self._log = _PREFIX + "log"
        self._cursor = 0  # segments of the log in the replica
        self._alone = False  # the last read found nothing new: no other process is writing
        wanted = {"format": FORMAT, "version": VERSION, "options": self.options}
        try:
            self.r = redis.Redis.from_url(url, socket_connect_timeout=5)
            self.r.hsetnx(_PREFIX + "meta", "options", json.dumps(wanted))
            meta = self.r.hget(_PREFIX + "meta", "options")
            self._push = self.r.register_script(_PUSH)
        except redis.RedisError as exc:
            raise IndexError_(f"cannot reach the index at {self._shown}: {exc}") from exc
        except ValueError as exc:  # a URL option redis-py cannot read
            raise IndexError_(f"bad index URL: {exc}") from exc
        try:
            header = json.loads(meta or "{}")
        except ValueError:  # UnicodeDecodeError is one
            header = None
        if not isinstance(header, dict):
            raise IndexError_(
                f"the index at {self._shown} holds a {_PREFIX}meta that is not a cleanseed index's: "
                "use another database or empty this one"
            )
        if header.get("version") != VERSION:
            raise IndexError_(
                f"the index at {self._shown} is a version {header.get('version')} index; this "
                f"cleanseed reads version {VERSION}: use another database or empty this one"
            )
        if header.get("options") != self.options:
            raise IndexError_(
                f"the index at {self._shown} was built with other signature options: {header.get('options')}"
            )
        self.sync()

    def _call(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except self._errors as exc:
            raise IndexError_(f"index server {self._shown}: {exc}") from exc

    def sync(self, force: bool = False) -> None:
        """Read what other processes appended. Skipped while nobody else writes (unless forced):
        a commit is checked anyway, so that saves a round trip a batch at no risk."""
        if self._alone and not force:
            return
        while True:
            got = self._call(lambda: self.r.lrange(self._log, self._cursor, self._cursor + _PAGE - 1))
            self._take(got)
            if len(got) < _PAGE:
                self._alone = not got
                return

    def _take(self, segments: list[bytes]) -> None:
        """Segments of the log into the replica, as one run (a page of them at start-up)."""
        if not segments:
            return
        parts = []
        for i, blob in enumerate(segments):
            try:
                parts.append(self._unpack_segment(blob))
            except ValueError as exc:  # UnicodeDecodeError is one
                raise IndexError_(
                    f"the index at {self._shown} is damaged: segment {self._cursor + i} of {self._log}: {exc}"
                ) from exc
        self._append(
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]),
            np.concatenate([p[3] for p in parts]),
            [doc_id for p in parts for doc_id in p[4]],
            np.concatenate([p[5] for p in parts]),
        )
        self._cursor += len(segments)

    def commit(self, docs: list[Addition]) -> bool:
        docs = [d for d in docs if len(d[1])]
        if not docs:
            return True  # nothing kept: nothing another process added can undo that
        blob = self._segment(docs)
        missed = self._call(lambda: self._push(keys=[self._log], args=[self._cursor, blob, _PAGE]))
        if not missed:
            self._take([blob])
            return True
        self._take(missed)
        self.sync(force=True)
        self._alone = False  # another process writes: read before each batch from now on
        return False

    def _segment(self, docs: list[Addition]) -> bytes:
        ids = [d[3].encode("utf-8") for d in docs]
        head = np.array([len(docs), sum(len(d[1]) for d in docs)], dtype="<u4")
        return b"".join(
            [
                head.tobytes(),
                np.array([len(d[1]) for d in docs], dtype="<u4").tobytes(),
                np.array([len(i) for i in ids], dtype="<u4").tobytes(),
                b"".join(ids),
                np.concatenate([_prefixes(d[0]) for d in docs]).astype("<u2").tobytes(),
                self._packed(np.concatenate([d[1] for d in docs])).tobytes(),
                np.concatenate([np.asarray(d[2], dtype="<u2") for d in docs]).tobytes(),
                np.concatenate([np.asarray(d[4], dtype="<u4") for d in docs]).tobytes(),
            ]
        )

    def _unpack_segment(
        self, blob: bytes
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str], np.ndarray]:
        n_docs, k = np.frombuffer(blob, dtype="<u4", count=2).tolist()
        at = 8
        counts = np.frombuffer(blob, dtype="<u4", count=n_docs, offset=at).astype(np.int64)
        at += 4 * n_docs
        lens = np.frombuffer(blob, dtype="<u4", count=n_docs, offset=at).tolist()
        at += 4 * n_docs
        doc_ids = []
        for n in lens:
            doc_ids.append(blob[at : at + n].decode("utf-8"))
            at += n
        prefix = np.frombuffer(blob, dtype="<u2", count=k * self.bands, offset=at).reshape(k, self.bands)
        at += 2 * k * self.bands
        packed = np.frombuffer(blob, dtype=np.uint8, count=k * self._width, offset=at).reshape(k, self._width)
        at += k * self._width
        sizes = np.frombuffer(blob, dtype="<u2", count=k, offset=at)
        paras = np.frombuffer(blob, dtype="<u4", count=k, offset=2 * k + at)
        if at + 6 * k != len(blob):
            raise ValueError(f"{len(blob)} bytes where its counts make {at + 6 * k}")
        if counts.sum() != k or (k and int(prefix.max()) >> PREFIX_BITS):
            raise ValueError("its item counts or band prefixes are out of range")
        return prefix, packed, sizes, paras, doc_ids, counts

    def add(
        self, keys: np.ndarray, sig8: np.ndarray, sizes: np.ndarray, doc_id: str, paras: list[int]
    ) -> None:
        """One document, appended to the log whatever it holds now (`commit` is the checked way)."""
        while not self.commit([(keys, sig8, sizes, doc_id, paras)]):
            pass

    def memory(self) -> int:
        """Bytes the server uses (used_memory)."""
        return int(self._call(lambda: self.r.info("memory"))["used_memory"])

    def close(self) -> None:
        self.r.close()

    def discard(self) -> None:
        self.r.close()
