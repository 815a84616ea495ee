"""What a persistent index records and checks on open: its format, version and signature options."""

from __future__ import annotations

from cleanseed.config import DedupConfig

FORMAT = "cleanseed-index"
VERSION = 2


def signature_options(config: DedupConfig) -> dict[str, int]:
    """What shapes signatures and band matches: an index is only valid under the same options."""
    from cleanseed.dedup import SHINGLE

    return {"num_perm": config.num_perm, "bands": config.bands, "seed": config.seed, "shingle": SHINGLE}
