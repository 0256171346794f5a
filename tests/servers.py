"""Real processes for tests that need them: Daphne on a free port, a Celery worker, a
private Redis. Each is stopped by its id on the way out, whatever happened."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_database_url() -> str:
    """The test database, for a server in another process (it cannot see an in-memory one)."""
    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or "postgres"
    return f"postgres://{user}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"


@contextmanager
def daphne(**env: str) -> Iterator[str]:
    """Yield the address of a Daphne process serving mina.asgi; always stopped."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "mina.asgi:application"],
        cwd=ROOT, env=server_env(**env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/health/", process)
        yield f"127.0.0.1:{port}"
    finally:
        _stop(process)


@contextmanager
def celery_worker(*queues: str, **env: str) -> Iterator[Path]:
    """A Celery worker process (threads) on `queues`; yields its log file; always stopped."""
    with tempfile.NamedTemporaryFile(prefix="mina-worker-", suffix=".log", delete=False) as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "mina", "worker", "-Q", ",".join(queues or ("realtime",)),
             "--pool", "threads", "-c", "2", "--without-heartbeat", "--without-mingle", "--without-gossip",
             "-l", "WARNING"],
            cwd=ROOT, env=server_env(**env), stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        yield Path(log.name)
    finally:
        _stop(process)


@contextmanager
def redis_server() -> Iterator[str]:
    """A private redis-server on a free port (never the machine's shared one); its URL."""
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s, contextlib.suppress(OSError):
                s.connect(("127.0.0.1", port))
                break
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(process)


def server_env(**env: str) -> dict[str, str]:
    """A Mina process on this test's database and media; `env` wins."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mina.test_settings",
        "DATABASE_URL": test_database_url(),
        **env,
    }


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stderr.read().decode()[-2000:] if process.stderr else ''}")
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 (loopback only)
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start in time")
