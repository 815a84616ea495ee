"""The command line: parse, build a Config, run the pipeline, write. Nothing else lives here."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

# numpy's OpenBLAS starts a thread per core at import, and they spin on a core for ~0.1 s; the
# command makes no BLAS calls, and with --jobs that core is a worker's
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import click  # noqa: E402
import orjson  # noqa: E402

from cleanseed import __version__  # noqa: E402
from cleanseed.config import default_jobs, load_config  # noqa: E402
from cleanseed.errors import CleanseedError, ExitStatus, OutputError  # noqa: E402
from cleanseed.pipeline import run  # noqa: E402
from cleanseed.readers import read_sources  # noqa: E402
from cleanseed.record import Record  # noqa: E402
from cleanseed.stats import Progress, Stats  # noqa: E402
from cleanseed.writer import to_line  # noqa: E402

CLEAN_HELP = """Clean documents into de-duplicated JSONL on standard output.

INPUT is any number of files, folders (read recursively, in sorted order), globs, or - for
standard input (the default). Formats: plain text (.txt: one document per file), JSONL
(.jsonl/.ndjson: one document per line, text in the "text" field), HTML (.html) and WARC
(.warc), each optionally gzip- or zstd-compressed; unknown extensions are sniffed.

\b
Examples:
  cleanseed clean article.txt other.txt
  zcat crawl.jsonl.gz | cleanseed clean - | jq -r .text
  cleanseed clean --mark --text-field content dump.jsonl.zst > marked.jsonl
  cleanseed clean pages/ --no-dedup -q > extracted.jsonl

Each output line has id, source, text, title, author, date, url and removed (what was
taken out: boilerplate with its rule, or duplicate with the paragraph it repeats).

A document that cannot be read (missing, binary, empty, a malformed JSON line, a truncated
archive) gets one line on standard error naming it, and the run goes on. On a terminal a
progress line shows documents, megabytes and rate; at the end a summary gives documents
in/out/failed, passages removed by reason and rule, bytes in/out and time (-q: neither).
Audit the result by eye with `cleanseed report OUT.jsonl -o report.html`.
"""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cleanseed")
def main() -> None:
    """cleanseed: scraped documents in, clean de-duplicated JSONL out.

    \b
    Examples:
      cleanseed clean articles/ > clean.jsonl
      zcat crawl.jsonl.gz | cleanseed clean - | jq -r .text
      cleanseed report clean.jsonl -o report.html

    Progress (on a terminal) and a summary go to standard error; -q silences both. Exit codes:
    0 done, 1 fatal error, 2 usage error, 3 --strict and a document failed, 130 interrupted.
    Run `cleanseed COMMAND --help` for each command's options and more examples.
    """


@main.command(help=CLEAN_HELP, short_help="Clean documents into de-duplicated JSONL on standard output.")
@click.argument("inputs", nargs=-1, metavar="[INPUT]...")
@click.option(
    "--text-field", default=None, metavar="NAME", help="JSONL field holding the text [default: text]."
)
@click.option(
    "--mark", is_flag=True, default=None, help="Keep duplicates in text; list them under `duplicates`."
)
@click.option("--no-dedup", "dedup", flag_value=False, default=None, help="Skip the near-duplicate stage.")
@click.option("--no-furniture", "furniture", flag_value=False, default=None, help="Keep site furniture.")
@click.option(
    "--drop-duplicate-docs",
    is_flag=True,
    default=None,
    help="Leave out documents whose whole body repeats earlier ones.",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    default=None,
    help="Similarity that confirms a duplicate [default: 0.5].",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes, at most one a core [default: the machine's cores].",
)
@click.option(
    "--index",
    default=None,
    metavar="PATH|URL",
    help="Index to dedup against and add to: a file (loaded, then saved at the end) or "
    "redis://[:password@]host:port/db (shared) [default: in memory].",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="TOML file of settings ([clean], [dedup]).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar, no summary.")
@click.option("--strict", is_flag=True, default=None, help="Exit 3 when any document failed.")
def clean(inputs: tuple[str, ...], config_path: str | None, quiet: bool, **flags: Any) -> None:
    dedup = flags.pop("dedup")
    overrides = dict(flags, enabled=dedup)
    # a stream the shell closed (>&-, <&-, 2>&-) is None here
    if sys.stdout is None:
        raise click.ClickException("standard output is closed")
    stdout = sys.stdout.buffer
    if sys.stderr is None:  # else print(file=sys.stderr) in any module writes to standard output
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    stderr = sys.stderr
    if not inputs:
        if sys.stdin is None:
            raise click.UsageError("no INPUT given and standard input is closed; name files or pipe data in")
        if sys.stdin.isatty():
            raise click.UsageError(
                "no INPUT given and standard input is a terminal; name files or pipe data in"
            )
        inputs = ("-",)
    try:
        config = load_config(config_path, defaults={"jobs": default_jobs()}, **overrides)
    except CleanseedError as exc:
        raise click.ClickException(str(exc)) from exc
    stats = Stats()
    progress = Progress(stderr, enabled=not quiet and stderr.isatty())
    mark, drop = config.dedup.mark, config.dedup.drop_duplicate_docs
    # closed on the way out, whatever the way: the worker pool is stopped here, before the exit
    # status is decided, not whenever the generator happens to be collected
    records = run(
        _counted(read_sources(inputs, config.text_field, tally=stats.read, output=stdout), stats, progress),
        config,
    )
    try:
        for rec in records:
            stats.count(rec)
            if rec.error is not None:
                progress.close()  # the message on a line of its own, not after the bar
                print(f"cleanseed: {rec.source}: {rec.error}", file=stderr)
            elif drop and rec.duplicate_of is not None:
                stats.docs_dropped += 1
            else:
                line = to_line(rec, mark)
                _write(stdout.write, line)
                stats.docs_out += 1
                stats.bytes_out += len(line)
            progress.update(stats)
        _write(stdout.flush)
    except BrokenPipeError:
        progress.close()
        _quiet_pipe()
        sys.exit(ExitStatus.OK)
    except KeyboardInterrupt:
        progress.close()
        try:
            stdout.flush()
        except BrokenPipeError:
            _quiet_pipe()
        print("cleanseed: interrupted", file=stderr)
        sys.exit(ExitStatus.INTERRUPTED)
    except CleanseedError as exc:
        progress.close()
        if isinstance(exc, OutputError):
            _quiet_pipe()  # what is left in the buffer cannot be written either
        raise click.ClickException(str(exc)) from exc
    finally:
        records.close()
    progress.close()
    if not quiet:
        stats.write_summary(stderr)
    if config.strict and stats.docs_failed:
        sys.exit(ExitStatus.RECORD_FAILED)


REPORT_HELP = """Render cleanseed's output as an HTML page for auditing a run by eye.

OUTPUT is a JSONL file written by `cleanseed clean` (or - for standard input). The page is
self-contained (no scripts, nothing fetched) and shows: counts; a chart of the passages removed
by reason and rule; the largest duplicate clusters; and each document's text with its removed
passages in place, struck through and labelled with their rule, duplicates linking to the
paragraph they repeat.

\b
Examples:
  cleanseed clean articles/ > out.jsonl && cleanseed report out.jsonl -o report.html
  cleanseed clean --mark dump.jsonl | cleanseed report - -o marked.html --limit 50
"""


@main.command(help=REPORT_HELP, short_help="Render the output as an HTML page to audit what was removed.")
@click.argument("output", metavar="OUTPUT", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "-o",
    "--out",
    "dest",
    default="report.html",
    show_default=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Where to write the page (- for standard output).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=200,
    show_default=True,
    help="Documents shown in full; the counts and chart cover all of them.",
)
def report(output: str, dest: str, limit: int) -> None:
    from cleanseed.report import render_report, shape_problem

    bad = 0

    def records(fh: IO[bytes]) -> Iterator[dict[str, Any]]:
        nonlocal bad
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                obj = None
                print(f"cleanseed: {output}:{n}: malformed JSON: {exc}", file=sys.stderr)
            problem = shape_problem(obj) if isinstance(obj, dict) else None
            if problem is not None:
                print(f"cleanseed: {output}:{n}: not a cleanseed output record: {problem}", file=sys.stderr)
            elif isinstance(obj, dict):
                yield obj
                continue
            bad += 1

    try:
        with click.open_file(output, "rb") as fh:
            page = render_report(records(fh), limit=limit, title=f"cleanseed report: {output}")
        with click.open_file(dest, "w", encoding="utf-8", atomic=dest != "-") as out:
            out.write(page)
    except OSError as exc:
        raise click.ClickException(f"{exc.filename or output}: {exc.strerror or exc}") from exc
    if dest != "-":
        skipped = f", {bad} lines skipped" if bad else ""
        print(f"cleanseed: wrote {dest}{skipped}", file=sys.stderr)


def _counted(records: Iterable[Record], stats: Stats, progress: Progress) -> Iterator[Record]:
    """Records as read, counted for the progress line (the pipeline may hold some back a while)."""
    for rec in records:
        stats.docs_read += 1
        progress.update(stats)
        yield rec


def _write(write: Callable[..., Any], *data: bytes) -> None:
    """A write (or flush) of standard output; failing other than on a closed pipe, an OutputError."""
    try:
        write(*data)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError(f"cannot write the output: {exc.strerror or exc}") from exc


def _quiet_pipe() -> None:
    """After a closed pipe: point stdout at /dev/null so the interpreter's final flush is silent."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
