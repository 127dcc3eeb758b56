"""``sanctuarygate serve`` prints a failed authentication in its service log (stderr): the
line an operator watches, not only the log entry. A real server in a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_serve_prints_a_failed_authentication(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "SANCTUARYGATE_DATA_DIR": str(tmp_path),
           "SANCTUARYGATE_LOG_ORIGIN": "test.example/serve-auth"}
    for name in ("SANCTUARYGATE_DATABASE_URL", "SANCTUARYGATE_RECORDS_URL"):
        env.pop(name, None)
    server = subprocess.Popen([sys.executable, "-m", "sanctuarygate", "serve", "--port", str(port)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while not _ready(f"{base}/healthz"):
            assert server.poll() is None, server.communicate()[1]
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.1)
        r = httpx.post(f"{base}/api/v1/query", json={"dataset": "cpd-arrests"},
                       headers={"X-API-Key": "sgk_0badc0de_secret-part"})
        assert r.status_code == 401
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=60)
    lines = [line for line in stderr.splitlines() if "authentication failed" in line]
    assert lines == ["POST /api/v1/query: authentication failed (malformed, key 0badc0de); "
                     "log entry 0"], stderr
    assert "secret-part" not in stderr
