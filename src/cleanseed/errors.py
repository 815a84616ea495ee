"""The few fatal error types; the CLI turns them into one line on standard error and exit 1."""

from __future__ import annotations

import enum


class ExitStatus(enum.IntEnum):
    """Process exit codes."""

    OK = 0
    ERROR = 1
    USAGE = 2
    RECORD_FAILED = 3  # --strict and at least one record failed
    INTERRUPTED = 130


class CleanseedError(Exception):
    """A fatal problem: the run cannot go on."""


class InputNotFound(CleanseedError):
    """An input path or glob that names nothing."""


class ConfigError(CleanseedError):
    """A bad configuration file or a bad combination of settings."""


class OutputError(CleanseedError):
    """Standard output cannot be written (a full disk, an I/O error; a closed pipe is not one)."""


class IndexError_(CleanseedError):
    """The dedup index cannot be opened, read or written."""


class WorkerError(CleanseedError):
    """A worker process died mid-run: the chunk of documents it held can never come back."""
