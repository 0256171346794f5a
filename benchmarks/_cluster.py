"""A scaled Mina on this machine for the load benchmarks: a private Redis, N Daphne, Celery.

Never the machine's shared Redis: the benchmarks start `redis-server` on a free port with
persistence off and stop it (by pid) when they end. The database is the one named by
`--database` on the local PostgreSQL (seed it with `manage.py seed_benchmark`).
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

# MINA_BENCH_ROOT: another copy of the code (e.g. the tree before a change) to measure.
ROOT = Path(os.environ.get("MINA_BENCH_ROOT") or Path(__file__).resolve().parents[1])
DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def raise_open_files(wanted: int = 16384) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary_ms(values: list[float]) -> tuple[float, float, float]:
    """(p50, p99, max) in milliseconds of values in seconds."""
    return statistics.median(values) * 1000, percentile(values, 99) * 1000, max(values) * 1000


def django_env(database: str, redis_url: str, **extra: str) -> dict[str, str]:
    media = Path(tempfile.gettempdir()) / f"mina-bench-media-{database}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mina.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": redis_url,
        "SECRET_KEY": "mina-benchmark-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "MEDIA_ROOT": str(media),
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def setup_django(database: str, redis_url: str = "", **extra: str) -> None:
    """Django in this process on the benchmark database (to make users and tokens)."""
    os.environ.update(django_env(database, redis_url, **extra))
    if not redis_url:
        os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (/proc/<pid>/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_of(pid: int) -> list[int]:
    """Direct children (Celery's prefork pool processes)."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Cluster:
    """`with Cluster(...) as c:` starts Redis, `web` Daphne processes and maybe a worker."""

    def __init__(self, database: str, web: int = 2, worker: bool = False, root: Path = ROOT, **env: str) -> None:
        self.database, self.web, self.worker, self.extra_env, self.root = database, web, worker, env, root
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.ports: list[int] = []
        self.logs = Path(tempfile.mkdtemp(prefix="mina-cluster-"))

    def __enter__(self) -> Cluster:
        # `kill PID` (SIGTERM) unwinds through __exit__ and stops every process started here.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def _spawn(self, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        self.processes[name] = subprocess.Popen(
            command, cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def _start(self) -> None:
        self.redis_port = free_port()
        self._spawn("redis", ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no", "--maxclients", "20000"])
        self._wait(lambda: self.redis("PING") == "PONG", "redis")
        env = django_env(self.database, self.redis_url, **self.extra_env)
        for index in range(self.web):
            port = free_port()
            self.ports.append(port)
            self._spawn(f"web{index + 1}", [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                                             "--websocket_timeout", "-1", "mina.asgi:application"], env)
        if self.worker:
            self._spawn("worker", [str(BIN / "celery"), "-A", "mina", "worker", "-Q", "default,realtime,outbound",
                                   "-l", "WARNING", "--concurrency", "2"], env)
        for url in self.urls:
            self._wait(lambda url=url: _http_ok(f"{url}/health/"), url)

    def _wait(self, ready: object, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited; see {self.logs / name}.log")
            if ready():  # type: ignore[operator]
                return
            time.sleep(0.2)
        raise RuntimeError(f"{what} did not start in {timeout} s")

    def redis(self, *command: str) -> str:
        result = subprocess.run(["redis-cli", "-p", str(self.redis_port), *command],
                                capture_output=True, text=True, timeout=10)
        return result.stdout.strip()

    def redis_memory_kb(self) -> int:
        for line in self.redis("INFO", "memory").splitlines():
            if line.startswith("used_memory:"):
                return int(line.split(":")[1]) // 1024
        return 0

    def pids(self) -> dict[str, int]:
        """Every server process, Celery's pool children included."""
        found = {name: p.pid for name, p in self.processes.items() if p.poll() is None}
        if "worker" in found:
            for index, child in enumerate(children_of(found["worker"])):
                found[f"worker-child{index + 1}"] = child
        return found

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # loopback only
            return bool(response.status == 200)
    except OSError:
        return False
