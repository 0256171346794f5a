"""Real processes for fault tests: a private Redis, Daphne, a Celery worker, `manage.py serve`.

Each can be killed (SIGKILL, as a crash or the OOM killer would) and started again on
the same port. Every process is stopped by its pid; the shared Redis and PostgreSQL are
never touched.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from tests.servers import ROOT, free_port, test_database_url

LOGS = Path(tempfile.gettempdir()) / "mina-fault-logs"


def wait_for(condition: Callable[[], object], timeout: float, what: str, every: float = 0.1) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


class Process:
    """A subprocess started from `argv`, restartable, always stopped by its pid."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.name, self.argv, self.env = name, argv, env
        self.popen: subprocess.Popen[bytes] | None = None
        LOGS.mkdir(exist_ok=True)
        self.log_path = LOGS / f"{name}-{os.getpid()}-{free_port()}.log"

    def start(self) -> Process:
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean-up, no goodbye, like a crash."""
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
            self.popen.wait(10)  # type: ignore[union-attr]

    def stop(self) -> None:
        if not self.alive():
            return
        os.kill(self.pid, signal.SIGTERM)
        try:
            self.popen.wait(10)  # type: ignore[union-attr]
        except subprocess.TimeoutExpired:
            self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def wait_for_log(self, text: str, timeout: float = 30) -> None:
        def seen() -> bool:
            if not self.alive():
                raise AssertionError(f"{self.name} exited:\n{self.log()}")
            return text in self.log()

        wait_for(seen, timeout, f"{self.name} to log {text!r}")


@contextmanager
def running(*processes: Process) -> Iterator[None]:
    """Stop every process on the way out, whatever happened."""
    try:
        yield
    finally:
        for process in processes:
            process.stop()


class Redis(Process):
    """A private redis-server on a free port: never the shared one."""

    def __init__(self) -> None:
        self.port = free_port()
        super().__init__(
            "redis",
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        )
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> Redis:
        super().start()
        self.wait_for_log("Ready to accept connections", timeout=10)
        return self


def server_env(**extra: str) -> dict[str, str]:
    """The environment of a Mina process that shares this test's database and media."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mina.test_settings",
        "DATABASE_URL": test_database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)  # scaled processes get a private Redis, never the shared one
    env.update(extra)
    return env


class Web(Process):
    """Daphne (or `manage.py serve`) on a fixed port, so a restart comes back at the same address."""

    def __init__(self, name: str, argv_for_port: Callable[[int], list[str]], env: dict[str, str]) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        super().__init__(name, argv_for_port(self.port), env)

    def start(self) -> Web:
        super().start()

        def up() -> bool:
            if not self.alive():
                raise AssertionError(f"{self.name} exited:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"http://{self.address}/health/", timeout=1):
                    return True
            except OSError:
                return False

        wait_for(up, 60, f"{self.name} to serve", every=0.2)
        return self


def daphne(env: dict[str, str], *extra_args: str) -> Web:
    return Web(
        "daphne",
        lambda port: [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), *extra_args,
                      "mina.asgi:application"],
        env,
    )


def serve(env: dict[str, str]) -> Web:
    """What `make run` runs: pages, sockets and the embedded job runner in one process."""
    return Web("serve", lambda port: [sys.executable, "manage.py", "serve", "--port", str(port)], env)


def celery_worker(env: dict[str, str], *extra_args: str) -> Process:
    return Process(
        "worker",
        [sys.executable, "-m", "celery", "-A", "mina", "worker", "-Q", "default,realtime,outbound", "--pool", "threads",
         "-c", "1", "--without-heartbeat", "--without-mingle", "--without-gossip", "-l", "INFO", *extra_args],
        env,
    )

