"""Shared test helpers: where ../shared is, and running the installed command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("CLEANSEED_SHARED", ROOT.parent / "shared"))
FIXTURES = ROOT / "fixtures"
SEEDS = [FIXTURES / "000_5494364aecd3fcfc.txt", FIXTURES / "004_b990eb32b59a47b3.txt"]


def cleanseed_command() -> list[str]:
    """The installed console script (next to this Python), else `python -m cleanseed`."""
    exe = Path(sys.executable).parent / "cleanseed"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("cleanseed")
    return [found] if found else [sys.executable, "-m", "cleanseed"]


def run_cli(
    *args: str, input: bytes | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*cleanseed_command(), *args], input=input, capture_output=True, timeout=timeout)


@pytest.fixture
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared data not found at {SHARED} (set CLEANSEED_SHARED)")
    return SHARED
