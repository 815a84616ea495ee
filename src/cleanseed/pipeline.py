"""The stages composed: read -> normalize -> furniture -> near-duplicates -> out.

Two kinds of stage: per-document ones (extract, normalize, furniture, and signing for dedup)
that look at one record at a time, and stream ones (recurring blocks, near-duplicates) that
hold state across records. The per-document stages run on chunks of records, then the keys of
each record's short blocks (for the recurring-blocks stage) and the signatures of the whole
chunk at once (numpy's per-call cost spread over it). With `jobs > 1` the chunks go to worker
processes, a bounded window of them in flight, results taken back in input order. The stream
stages run here, in input order, and only count, look up and rewrite, so the output is
byte-identical to `jobs = 1`.
"""

from __future__ import annotations

import gc
import multiprocessing
import signal
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from concurrent.futures import wait as wait_futures
from concurrent.futures.process import BrokenProcessPool
from functools import reduce
from itertools import chain, islice
from typing import Any

from cleanseed.config import Config, default_jobs, load_config
from cleanseed.dedup import NearDuplicates, Sentences, Signer, sign_many
from cleanseed.errors import WorkerError
from cleanseed.furniture import Recurring, furniture
from cleanseed.normalize import normalize
from cleanseed.readers import record_from_object
from cleanseed.record import Record

Stage = Callable[[Iterable[Record]], Iterator[Record]]

CHUNK = 32  # records per task sent to a worker: amortizes pickling and queue round trips
IN_FLIGHT = 4  # chunks per worker queued ahead: keeps workers busy, memory bounded


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


def document_stages(config: Config) -> list[Stage]:
    """The per-document stages: each record on its own, so they can run in worker processes."""
    out: list[Stage] = [mark_empty, extract_stage, normalize]
    if config.furniture:
        out.append(furniture)
    return out


def recurring_stage(config: Config) -> Recurring | None:
    """The stateful stage before dedup (recurring blocks), run in one process in input order."""
    if config.furniture and config.dedup.window > 0:
        d = config.dedup
        return Recurring(d.window, d.recurring_min_docs, d.recurring_max_words)
    return None


def run(records: Iterable[Record], config: Config, index: Any = None) -> Generator[Record, None, None]:
    """Every record through every stage; failed records pass through untouched.

    Without an `index`, one is opened from `config.dedup.index` and closed (saved, for a
    persistent one) only when the run completes: an interrupted run leaves a saved index as it was.
    """
    owned = index is None and config.dedup.enabled
    if owned:
        from cleanseed.index import open_index

        index = open_index(config.dedup)
    try:
        pairs = _here(records, config) if config.jobs == 1 else _ordered(records, config)
        yield from _judge_in_order(pairs, config, index)
    except BaseException:
        if owned:
            index.discard()
        raise
    if owned:
        index.close()


# ---- chunks of records, here or in worker processes ----


# a record after the per-document stages, its recurring-block keys, and its signed sentences
Done = tuple[Record, tuple[str, list[int | None]] | None, Sentences | None]
Work = tuple[list[Stage], Recurring | None, Signer | None]


def per_document(config: Config) -> Work:
    """What a chunk goes through: the stages, then the keys of its blocks and its signatures."""
    d = config.dedup
    return (
        document_stages(config),
        recurring_stage(config),
        (Signer(d.num_perm, d.bands, d.seed) if d.enabled else None),
    )


def process_chunk(
    chunk: list[Record], stages: list[Stage], recurring: Recurring | None, signer: Signer | None
) -> list[Done]:
    """The per-document work for a chunk of records: their stages, then (None for a record that
    failed) the keys of their short blocks and the signatures of all of them at once."""
    done = list(reduce(lambda stream, stage: stage(stream), stages, iter(chunk)))
    blocks = [recurring.blocks(rec) if recurring and rec.error is None else None for rec in done]
    if signer is None:
        return [(rec, b, None) for rec, b in zip(done, blocks)]
    signed = iter(sign_many([rec.paragraphs for rec in done if rec.error is None], signer))
    return [(rec, b, next(signed) if rec.error is None else None) for rec, b in zip(done, blocks)]


def _here(records: Iterable[Record], config: Config) -> Iterator[Done]:
    """Records done in input order, a chunk at a time, in this process."""
    work = per_document(config)
    it = iter(records)
    while chunk := list(islice(it, CHUNK)):
        yield from process_chunk(chunk, *work)


_worker: Work | None = None


def _init_worker(config: Config) -> None:
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    _worker = per_document(config)


def _work(chunk: list[Record]) -> list[Done]:
    assert _worker is not None
    return process_chunk(chunk, *_worker)


def _ordered(records: Iterable[Record], config: Config) -> Iterator[Done]:
    """Records done in input order by worker processes, at most jobs*IN_FLIGHT chunks ahead.

    Not `Executor.map`: it submits the whole input at once. This process only reads, judges and
    writes: doing chunks itself while it waited for results (as it did) measured 6-7% slower
    on two cores, a third process on them, and each process's signing memo seeing a third of
    the stream. A `ProcessPoolExecutor`, not a `multiprocessing.Pool`: a worker that dies (the
    out-of-memory killer) breaks it and every chunk in flight fails at once, where a Pool never
    completed the dead worker's chunk and the run waited for ever; and Pool's worker-handler
    thread woke at every result waiting unread (12,000-15,000 times and 0.14-0.17 s of CPU in a
    1.2 s run of the throughput benchmark, taking the GIL from the thread that judges).
    """
    it = iter(records)
    first = list(islice(it, CHUNK))
    fork = "fork" in multiprocessing.get_all_start_methods()
    if fork and any(rec.html is not None for rec in first):
        from cleanseed.extract import warm_up

        warm_up()  # extraction's imports and tables loaded once, here, not in every worker
    # per chunk, in input order: a worker's Future; first the list of the first record, done
    # here before the workers start, so that they inherit the tables it loaded (~35 ms)
    pending: deque[Any] = deque([process_chunk(first[:1], *per_document(config))])
    it = chain(first[1:], it)
    ctx = multiprocessing.get_context("fork" if fork else None)
    # more workers than cores gain nothing (the stages use the CPU only), and --jobs 100000 would
    # fill the process table: at most one a core (two on one core, so workers are still tried)
    workers = min(config.jobs, max(2, default_jobs()))
    gc.freeze()  # what exists now stays out of the workers' collections: its pages stay shared
    try:
        pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(config,))
        if chunk := list(islice(it, CHUNK)):
            pending.append(pool.submit(_work, chunk))  # the first submit forks the workers
    finally:
        gc.unfreeze()
    window = workers * IN_FLIGHT
    try:
        while True:
            while len(pending) < window and (chunk := list(islice(it, CHUNK))):
                pending.append(pool.submit(_work, chunk))
            if not pending:
                break
            head = pending.popleft()
            yield from head if isinstance(head, list) else _result(head, pool)
    except BrokenProcessPool as exc:  # from a result or from a submit, whichever meets it first
        raise WorkerError(
            "a worker process died (killed, perhaps by the out-of-memory killer); "
            "the documents it held are lost: run again, with fewer --jobs if memory is short"
        ) from exc
    finally:
        _stop(pool, pending)


WATCH = 0.5  # seconds between checks that the workers live, while a chunk's result is awaited


def _workers(pool: ProcessPoolExecutor) -> list[Any]:
    # the executor's processes (private, in every Python we support; none if that changes)
    return list((getattr(pool, "_processes", None) or {}).values())


def _died(workers: list[Any]) -> bool:
    # workers never exit before the run ends, so an exit code means a death
    return any(p.exitcode is not None for p in workers)


def _result(future: Any, pool: ProcessPoolExecutor) -> list[Done]:
    """A chunk's result; BrokenProcessPool when a worker has died meanwhile.

    The executor notices a dead worker by itself, except one killed while it wrote a result:
    its manager thread then waits for the rest of that message for ever.
    """
    while True:
        try:
            return future.result(timeout=WATCH)  # type: ignore[no-any-return]
        except FuturesTimeout:
            if _died(_workers(pool)):
                raise BrokenProcessPool("a worker process died") from None


STOP_WAIT = 2.0  # seconds a run that ends early (a closed pipe, an error) lets chunks in flight finish


def _stop(pool: ProcessPoolExecutor, pending: Iterable[Any]) -> None:
    """The workers stopped: at once at the end of a run; where it ended early, after the chunks in
    flight finish, for up to `STOP_WAIT` seconds, then killed (a slow page must not hold up
    `clean | head -1`; the executor would wait for it, at shutdown and again at exit).

    Once a worker is dead, this process's end of the result pipe is closed as well: the pipe then
    has no writer left, so an executor thread waiting for the rest of a dead worker's message
    gets end-of-file, finds the pool broken and lets shutdown finish.
    """
    futures = [f for f in pending if not isinstance(f, list)]
    _, running = wait_futures(futures, timeout=STOP_WAIT) if futures else (set(), set())
    workers = _workers(pool)
    if running or _died(workers):
        for process in workers:
            process.kill()
        for process in workers:
            process.join()
        writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
        if writer is not None:
            writer.close()
    pool.shutdown(wait=True, cancel_futures=True)


def _judge_in_order(done: Iterable[Done], config: Config, index: Any) -> Iterator[Record]:
    """Recurring blocks and near-duplicate judgement over records done, in input order."""
    recurring = recurring_stage(config)
    if recurring is not None:
        pairs = recurring.judge_stream(done)
    else:
        pairs = ((rec, sentences) for rec, _, sentences in done)
    if config.dedup.enabled:
        yield from NearDuplicates(config.dedup, index).judge_stream(pairs)
    else:
        yield from (rec for rec, _ in pairs)


def clean(records: Iterable[dict[str, Any]], **options: Any) -> Iterator[dict[str, Any]]:
    """Library entry point: dicts in (like JSONL records), output dicts out (see SCHEMA.md).

    Options are the settings of `Config` and `DedupConfig` by name (`mark=True`, `jobs=2`, ...).
    Records that cannot be processed (not a dict, no text, ...) are yielded with an `error` key
    and no `text`.
    """
    config = load_config(None, **options)

    def parse() -> Iterator[Record]:
        for n, obj in enumerate(records, 1):
            where = f"<input>:{n}"
            if isinstance(obj, dict):
                yield record_from_object(obj, where, where, config.text_field)
            else:  # as a JSONL line that is not an object: a failed record, the run goes on
                yield Record(id=where, source=where, error=f"record is a {type(obj).__name__}, not a dict")

    for rec in run(parse(), config):
        if rec.error is not None:
            yield {"id": rec.id, "source": rec.source, "error": rec.error}
        elif not (config.dedup.drop_duplicate_docs and rec.duplicate_of is not None):
            yield rec.to_dict(mark=config.dedup.mark)
