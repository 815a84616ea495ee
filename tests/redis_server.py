"""A throwaway redis-server on a free loopback port, for the tests and the benchmarks.

Plain module (no pytest): `benchmarks/throughput.py` imports it too.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str] | None:
    """Start redis-server (no persistence, working files in `folder`) and wait until it answers.

    Returns the process and its `redis://` URL, or None when redis-server is not installed.
    """
    server = shutil.which("redis-server")
    if server is None:
        return None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    return proc, f"redis://127.0.0.1:{port}/0"
