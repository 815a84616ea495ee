"""Where signatures live: a package, its code in `memory` until it is split into modules."""

from cleanseed.index.memory import (
    FORMAT,
    PREFIX_BITS,
    VERSION,
    Addition,
    FileIndex,
    MemoryIndex,
    RedisIndex,
    open_index,
    signature_options,
)

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
