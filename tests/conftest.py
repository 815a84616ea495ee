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


def deep_html(depth: int = 50_000) -> str:
    """A page nested `depth` divs deep, one paragraph at the bottom."""
    return (
        "<html><body>"
        + "<div>" * depth
        + "<p>deep text at the bottom</p>"
        + "</div>" * depth
        + "</body></html>"
    )


def entity_bomb_html() -> str:
    """A billion-laughs page (nine levels of tenfold entities), then one ordinary paragraph."""
    defs = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    return (
        f'<?xml version="1.0"?><!DOCTYPE lolz [{defs}]><html><body><p>&lol9;</p>'
        "<p>A real paragraph of ordinary text that follows the entity bomb in this page.</p></body></html>"
    )


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
