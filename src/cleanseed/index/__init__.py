"""Where signatures live: compact arrays in memory, a file that persists them, or a Redis server.

An index holds items (kept sentences). Per item: its b-bit MinHash signature (`dedup.bbit`: 4
bits per value, two values a byte), its shingle count, and where it came from (document,
output paragraph). The interface the near-duplicate stage uses:

    query(keys, sig8)      per sentence, the item ids sharing at least one LSH band, sorted
    signatures(items)      uint8[len, num_perm] of b-bit values
    sizes(items)           shingle counts
    where(item)            (document id, paragraph)
    add(keys, sig8, sizes, doc_id, paras)
    close()                end of a completed run (a persistent index is saved here)
    discard()              end of an interrupted run (nothing is saved)

For a batch: `query_pairs`, `band_values`, `sync`, `commit`.

Modules: `memory` (MemoryIndex: the layout of items and bands, and what an item costs), `runs`
(its sorted runs: built, merged, searched), `check` (what loaded arrays must satisfy), `file`
(FileIndex), `server` (RedisIndex), `meta` (format, version and signature options, checked on
open). Tunables such as BUFFER_ITEMS or
KEYED_RUN_ITEMS are read in the module that defines them: set or patch them there.
"""

from __future__ import annotations

from typing import Any

from cleanseed.config import DedupConfig
from cleanseed.index.file import FileIndex
from cleanseed.index.memory import Addition, MemoryIndex
from cleanseed.index.meta import FORMAT, VERSION, signature_options
from cleanseed.index.runs import PREFIX_BITS
from cleanseed.index.server import RedisIndex

__all__ = [
    "FORMAT",
    "PREFIX_BITS",
    "VERSION",
    "Addition",
    "FileIndex",
    "MemoryIndex",
    "RedisIndex",
    "open_index",
    "signature_options",
]


def open_index(config: DedupConfig) -> Any:
    """The index `config.index` names: None in memory, redis:// or rediss:// a server, else a file."""
    where = config.index
    if where is None:
        return MemoryIndex(config.num_perm, config.bands)
    if where.startswith(("redis://", "rediss://")):
        return RedisIndex(where, config)
    return FileIndex(where, config)
