"""Settings as frozen dataclasses: defaults < --config TOML < command-line flags."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cleanseed.errors import ConfigError

MAX_NUM_PERM = 1024  # a sentence's signing takes num_perm x its shingles x 4 bytes of memory
MAX_SEED = (1 << 32) - 1 - 7919  # numpy's seeds are 32-bit; the band mixing uses seed + 7919

# what each annotation accepts; a bool is not taken for a number, nor a number for a bool
_KINDS: dict[str, tuple[str, tuple[type, ...]]] = {
    "bool": ("true or false", (bool,)),
    "int": ("an integer", (int,)),
    "float": ("a number", (int, float)),
    "str": ("a string", (str,)),
    "str | None": ("a string", (str, type(None))),
}


def _check_types(settings: Any) -> None:
    """ConfigError unless each field of a settings dataclass holds a value of its annotated type."""
    for f in dataclasses.fields(settings):
        kind = _KINDS.get(str(f.type))
        if kind is None:
            continue
        value = getattr(settings, f.name)
        if not isinstance(value, kind[1]) or (isinstance(value, bool) and bool not in kind[1]):
            shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
            raise ConfigError(f"{f.name} must be {kind[0]}, not {shown}")


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
        _check_types(self)
        if self.num_perm > MAX_NUM_PERM:
            raise ConfigError(f"num_perm must be at most {MAX_NUM_PERM}, not {self.num_perm}")
        if not 0 <= self.seed <= MAX_SEED:
            raise ConfigError(f"seed must be in [0, {MAX_SEED}], not {self.seed}")
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
        _check_types(self)
        if self.jobs < 1:
            raise ConfigError("jobs must be >= 1")


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def load_config(path: str | Path | None, defaults: dict[str, Any] | None = None, **overrides: Any) -> Config:
    """Build a Config from an optional TOML file (tables [clean] and [dedup]) and flag overrides.

    Overrides whose value is None are ignored, so unset flags keep the file's or the default value.
    `defaults` (settings of [clean]) stand in for the built-in defaults, below the file: the
    command's default jobs (the cores) is one.
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
        except UnicodeDecodeError as exc:  # tomllib decodes the whole file first
            raise ConfigError(
                f"bad config {path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start})"
            ) from exc
    unknown_tables = set(data) - {"clean", "dedup"}
    if unknown_tables:
        raise ConfigError(
            f"unknown table(s) or setting(s) outside a table: {', '.join(sorted(unknown_tables))}"
        )
    for name in ("clean", "dedup"):
        if not isinstance(data.get(name, {}), dict):
            raise ConfigError(f"[{name}] must be a table")
    clean = {**(defaults or {}), **data.get("clean", {})}
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
