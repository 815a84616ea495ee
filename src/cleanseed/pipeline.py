"""The stages composed: read -> normalize -> furniture -> near-duplicates -> out."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import reduce
from typing import Any

from cleanseed.config import Config, load_config
from cleanseed.dedup import NearDuplicates
from cleanseed.furniture import furniture
from cleanseed.normalize import normalize
from cleanseed.readers import record_from_object
from cleanseed.record import Record

Stage = Callable[[Iterable[Record]], Iterator[Record]]


def extract_stage(records: Iterable[Record]) -> Iterator[Record]:
    """Stage: HTML -> text and metadata, for records that carry raw HTML."""
    for rec in records:
        if rec.error is None and rec.html is not None:
            from cleanseed.extract import extract_record

            extract_record(rec)
        yield rec


def mark_empty(records: Iterable[Record]) -> Iterator[Record]:
    """Stage: a document with no text at all after reading is a failure, counted with its reason."""
    for rec in records:
        if rec.error is None and rec.html is None and not rec.paragraphs:
            rec.error = "empty document"
        yield rec


def stages(config: Config, index: Any = None) -> list[Stage]:
    """The stages a configuration asks for, in order."""
    out: list[Stage] = [mark_empty, extract_stage, normalize]
    if config.furniture:
        out.append(furniture)
    if config.dedup.enabled:
        out.append(NearDuplicates(config.dedup, index))
    return out


def run(records: Iterable[Record], config: Config, index: Any = None) -> Iterator[Record]:
    """Every record through every stage; failed records pass through untouched."""
    return reduce(lambda stream, stage: stage(stream), stages(config, index), iter(records))


def clean(records: Iterable[dict[str, Any]], **options: Any) -> Iterator[dict[str, Any]]:
    """Library entry point: dicts in (like JSONL records), output dicts out (see SCHEMA.md).

    Options are the settings of `Config` and `DedupConfig` by name (`mark=True`, `jobs=2`, ...).
    Records that cannot be processed are yielded with an `error` key and no `text`.
    """
    config = load_config(None, **options)

    def parse() -> Iterator[Record]:
        for n, obj in enumerate(records, 1):
            yield record_from_object(obj, f"<input>:{n}", f"<input>:{n}", config.text_field)

    for rec in run(parse(), config):
        if rec.error is not None:
            yield {"id": rec.id, "source": rec.source, "error": rec.error}
        elif not (config.dedup.drop_duplicate_docs and rec.duplicate_of is not None):
            yield rec.to_dict(mark=config.dedup.mark)
