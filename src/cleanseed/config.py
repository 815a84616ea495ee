"""Settings as frozen dataclasses: defaults < --config TOML < command-line flags."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cleanseed.errors import ConfigError


@dataclass(frozen=True)
class DedupConfig:
    """How near-duplicate passages are found. The figures behind the defaults are in dedup/__init__.py."""

    enabled: bool = True
    mark: bool = False  # keep duplicates in `text`, list them under `duplicates`
    drop_duplicate_docs: bool = False
    num_perm: int = 64
    bands: int = 16
    seed: int = 1
    threshold: float = 0.5  # estimated Jaccard (or containment) that confirms a match
    min_words: int = 7  # sentences shorter than this are never judged alone
    recurring_min_docs: int = 3  # a short block in this many documents of a site is furniture
    recurring_max_words: int = 30
    window: int = 256  # documents of look-ahead for recurring blocks
    index: str | None = None  # None: in memory; a path; or redis://...

    def __post_init__(self) -> None:
        if self.num_perm <= 0 or self.bands <= 0 or self.num_perm % self.bands:
            raise ConfigError(
                f"num_perm ({self.num_perm}) must be a positive multiple of bands ({self.bands})"
            )
        if not 0.0 < self.threshold <= 1.0:
            raise ConfigError(f"threshold must be in (0, 1], not {self.threshold}")
        if self.window < 0:
            raise ConfigError("window must be >= 0")


@dataclass(frozen=True)
class Config:
    """Everything a run needs to know."""

    text_field: str = "text"
    furniture: bool = True
    jobs: int = 1
    strict: bool = False
    dedup: DedupConfig = field(default_factory=DedupConfig)

    def __post_init__(self) -> None:
        if self.jobs < 1:
            raise ConfigError("jobs must be >= 1")


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def load_config(path: str | Path | None, **overrides: Any) -> Config:
    """Build a Config from an optional TOML file (tables [clean] and [dedup]) and flag overrides.

    Overrides whose value is None are ignored, so unset flags keep the file's or the default value.
    """
    data: dict[str, Any] = {}
    if path is not None:
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib  # type: ignore[no-redef]
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except OSError as exc:
            raise ConfigError(f"cannot read config {path}: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"bad config {path}: {exc}") from exc
    clean = dict(data.get("clean", {}))
    dedup = dict(data.get("dedup", {}))
    dedup_fields = {f.name for f in dataclasses.fields(DedupConfig)}
    clean_fields = {f.name for f in dataclasses.fields(Config)} - {"dedup"}
    for key, value in overrides.items():
        if value is None:
            continue
        if key in dedup_fields:
            dedup[key] = value
        elif key in clean_fields:
            clean[key] = value
        else:
            raise ConfigError(f"unknown setting {key!r}")
    for name, table, known in (("clean", clean, clean_fields), ("dedup", dedup, dedup_fields)):
        unknown = set(table) - known
        if unknown:
            raise ConfigError(f"unknown setting(s) in [{name}]: {', '.join(sorted(unknown))}")
    try:
        return Config(dedup=DedupConfig(**dedup), **clean)
    except TypeError as exc:
        raise ConfigError(str(exc)) from exc
