"""Webhooks end to end: from an event's commit to its arrival at a healthy receiver, in
both run modes; then a receiver that is down for a while.

    DEBUG=1 .venv/bin/python -m benchmarks.webhooks [--mode both|embedded|scaled] \
        [--events 200] [--burst 100] [--outage 60] [--postgres postgres://postgres@127.0.0.1:5432]

embedded: the job runner `manage.py serve` starts (mina/embedded.py: Celery's worker in a
thread on the memory broker, and the timer) in this process, on a throwaway SQLite
database. scaled: a private `redis-server`, a throwaway PostgreSQL database (dropped at
the end) and `celery -A mina worker -Q default,realtime,outbound` as the Procfile runs it (prefork,
one process per core); this process plays the web process that makes the events. `--mode
both` runs each in a process of its own (Django is set up once per process).

The receiver is http.server in threads on 127.0.0.1 (MINA_WEBHOOKS_ALLOW_PRIVATE on): it
checks each signature and notes when each request arrived. The events are real
`task.created`: `meetings.services.task_create`, committed; latency is arrival minus the
commit (an on_commit hook registered ahead of the task's own). Runs:
- spaced: `--events` tasks 20-50 ms apart, each its own commit;
- burst: `--burst` tasks in one commit, as a summary makes its tasks;
- outage: the receiver is down (connection refused) for `--outage` s while tasks keep
  coming, 2 a second, then it is back and 10 more come. Retries wait 1 s, 2 s, 4 s, …
  (MINA_WEBHOOK_RETRY_BASE_S=1, a tenth of the default, so the default 60 s outage stands
  for 10 minutes at the default settings). Every event must then arrive exactly once by
  its event id (X-Mina-Delivery), and every delivery row say delivered.
Before the runs, the back-off of the configured settings is worked out: how long an
outage it rides out, and how long after a 10-minute outage the last event can arrive.
Target: p95 within 2 s of the commit to a healthy receiver.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from benchmarks._cluster import Cluster, django_env, load_average, percentile, setup_django
from benchmarks._django import ROOT, setup
from integrations.signing import verify

OUTAGE_RETRY_BASE_S = 1  # the outage run's back-off base (settings take whole seconds)
OUTAGE_RATE = 2.0  # events a second while the receiver is down


class Receiver:
    """A webhook receiver on 127.0.0.1 that notes (arrival time, event id, task id, signed)."""

    def __init__(self) -> None:
        self.secret = ""
        self.port = 0
        self.arrivals: list[tuple[float, str, int, bool]] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                at = time.time()
                event = json.loads(body)
                signed = verify(
                    receiver.secret, self.headers["X-Mina-Timestamp"], body, self.headers["X-Mina-Signature"]
                )
                receiver.arrivals.append((at, self.headers["X-Mina-Delivery"], event["data"]["task"]["id"], signed))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # a burst connects at once

        self._server = Server(("127.0.0.1", self.port), Handler)  # the same port when it comes back
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Down: connections are refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def first_arrivals(self) -> dict[int, float]:
        first: dict[int, float] = {}
        for at, _, task_id, _ in self.arrivals:
            first[task_id] = min(at, first.get(task_id, at))
        return first


# --- Events --------------------------------------------------------------------------


def publish(membership: Any, titles: list[str]) -> dict[int, float]:
    """Tasks made in one commit: {task id: the commit's time}."""
    from django.db import transaction

    from meetings.services import task_create

    stamp: list[float] = []
    with transaction.atomic():
        transaction.on_commit(lambda: stamp.append(time.time()))  # runs first: before the webhooks' hooks
        ids = [task_create(membership=membership, title=title).id for title in titles]
    return dict.fromkeys(ids, stamp[0])


def wait_arrived(receiver: Receiver, commits: dict[int, float], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not set(commits) <= set(receiver.first_arrivals()):
        time.sleep(0.05)


def report(name: str, commits: dict[int, float], receiver: Receiver) -> list[float]:
    first = receiver.first_arrivals()
    latencies = [first[t] - at for t, at in commits.items() if t in first]
    mine = [a for a in receiver.arrivals if a[2] in commits]
    repeats = len(mine) - len({a[1] for a in mine})
    unsigned = sum(1 for a in mine if not a[3])
    if latencies:
        p50, p95, top = statistics.median(latencies), percentile(latencies, 95), max(latencies)
        numbers = f"{p50 * 1000:7.0f} {p95 * 1000:7.0f} {top * 1000:7.0f}"
    else:
        numbers = f"{'-':>7} {'-':>7} {'-':>7}"
    print(f"  {name:<30} {len(commits):>5} {len(latencies):>7} {numbers} {repeats:>8} {unsigned:>8}")
    return latencies


def breakdown(commits: dict[int, float], receiver: Receiver) -> None:
    """Where a first attempt's time went, from the delivery rows (one clock: this machine):
    commit to the row (the event's hooks), row to the attempt's start (the queue and the
    worker's pick-up), the attempt's start to the arrival."""
    from integrations.models import Delivery

    first = receiver.first_arrivals()
    parts: list[tuple[float, float, float]] = []
    for body, created, done, duration_ms in Delivery.objects.filter(attempts=1, status="delivered").values_list(
        "body", "created_at", "last_attempt_at", "duration_ms"
    ):
        task_id = json.loads(body)["data"]["task"]["id"]
        if task_id in commits and task_id in first:
            started = done.timestamp() - duration_ms / 1000
            parts.append(
                (created.timestamp() - commits[task_id], started - created.timestamp(), first[task_id] - started)
            )
    if parts:
        names = ("commit to row", "row to attempt", "attempt to arrival")
        print(
            "    p95: "
            + ", ".join(f"{n} {percentile([p[i] for p in parts], 95) * 1000:.0f} ms" for i, n in enumerate(names))
        )


# --- The back-off ----------------------------------------------------------------------


def attempt_times(base: int, cap: int, attempts: int) -> list[int]:
    """Seconds after the event of each attempt (integrations.services.delivery_attempt)."""
    times = [0]
    for retry in range(attempts - 1):
        times.append(times[-1] + min(cap, base * 2**retry))
    return times


def worst_after_outage(times: list[int], outage_s: int) -> tuple[int | None, int]:
    """Over events made at every second of an outage of `outage_s` s that began at 0: the
    longest wait from the receiver's return to the next attempt (None: some event runs
    out of attempts first), and the most attempts an event needs."""
    worst, most = 0, 0
    for made in range(outage_s):
        later = [(n, made + t) for n, t in enumerate(times, 1) if made + t >= outage_s]
        if not later:
            return None, len(times)
        worst, most = max(worst, later[0][1] - outage_s), max(most, later[0][0])
    return worst, most


def describe_backoff(base: int, cap: int, attempts: int, outage_s: int, label: str) -> None:
    times = attempt_times(base, cap, attempts)
    worst, most = worst_after_outage(times, outage_s)
    gaps = ", ".join(f"{b - a}" for a, b in zip(times, times[1:], strict=False))
    verdict = (
        f"every event of a {outage_s} s outage arrives, the last at most {worst} s after the receiver is back "
        f"(attempt {most} of {attempts} at worst)"
        if worst is not None
        else f"an event made as a {outage_s} s outage begins runs out of attempts: LOST"
    )
    print(f"  {label}: base {base} s, cap {cap} s, {attempts} attempts: waits {gaps} s;")
    print(f"    the last attempt {times[-1]} s ({times[-1] / 60:.1f} min) after the event: {verdict}")


# --- The runs --------------------------------------------------------------------------


def measure(args: argparse.Namespace, where: str) -> int:
    from django.conf import settings

    from accounts.models import User
    from integrations import services
    from integrations.models import Delivery
    from workspaces.services import workspace_create

    base, cap, attempts = (
        settings.MINA_WEBHOOK_RETRY_BASE_S,
        settings.MINA_WEBHOOK_RETRY_MAX_S,
        settings.MINA_WEBHOOK_MAX_ATTEMPTS,
    )
    outage_s = args.outage or round(600 * OUTAGE_RETRY_BASE_S / base)
    print(f"\n== {where}\n  load average {load_average()} on {os.cpu_count()} cores")
    describe_backoff(base, cap, attempts, 600, "configured")
    describe_backoff(OUTAGE_RETRY_BASE_S, cap, attempts, outage_s, "outage run")

    user = User.objects.create_user(email="owner@example.com", password="x" * 12)
    membership = workspace_create(user=user, name="Hooks").memberships.get()
    receiver = Receiver()
    receiver.start()
    endpoint = services.endpoint_create(membership=membership, url=receiver.url, events=["task.created"])
    receiver.secret = endpoint.secret
    rng = random.Random(24)
    try:
        warm = publish(membership, ["Warm-up"])  # also: the worker is up
        wait_arrived(receiver, warm, 120)
        if not set(warm) <= set(receiver.first_arrivals()):
            print("  the warm-up event never arrived: is the worker running?")
            return 1
        print(
            f"  {'run':<30} {'sent':>5} {'arrived':>7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'repeats':>8} "
            f"{'unsigned':>8}"
        )

        spaced: dict[int, float] = {}
        for n in range(args.events):
            spaced.update(publish(membership, [f"Spaced {n}"]))
            time.sleep(rng.uniform(0.02, 0.05))
        wait_arrived(receiver, spaced, 60)
        healthy = report(f"spaced 20-50 ms, {args.events}", spaced, receiver)
        breakdown(spaced, receiver)

        burst = publish(membership, [f"Burst {n}" for n in range(args.burst)])
        wait_arrived(receiver, burst, 120)
        healthy += report(f"burst of {args.burst}, one commit", burst, receiver)
        breakdown(burst, receiver)
        print(
            f"  {'healthy, both runs':<30} {len(spaced) + len(burst):>5} {len(healthy):>7} "
            f"{statistics.median(healthy) * 1000:7.0f} {percentile(healthy, 95) * 1000:7.0f} "
            f"{max(healthy) * 1000:7.0f}"
        )

        settings.MINA_WEBHOOK_RETRY_BASE_S = OUTAGE_RETRY_BASE_S  # the scaled worker has it from its environment
        first_delivery = Delivery.objects.order_by("-id").values_list("id", flat=True).first() or 0
        lost = outage(membership, receiver, outage_s, first_delivery)
    finally:
        receiver.stop()
    print(f"  load average {load_average()}")
    return 1 if lost else 0


def outage(membership: Any, receiver: Receiver, outage_s: int, first_delivery: int) -> int:
    """The receiver down for `outage_s` s, events coming all along; returns how many were
    not delivered exactly once."""
    from integrations.models import Delivery

    receiver.stop()
    down_at = time.time()
    during: dict[int, float] = {}
    while time.time() - down_at < outage_s:
        during.update(publish(membership, [f"Outage {len(during)}"]))
        time.sleep(1 / OUTAGE_RATE)
    receiver.start()
    up_at = time.time()
    after: dict[int, float] = {}
    for n in range(10):
        after.update(publish(membership, [f"After {n}"]))
        time.sleep(1 / OUTAGE_RATE)
    wait_arrived(receiver, {**during, **after}, outage_s * 2 + 60)
    report(f"sent while down {outage_s} s", during, receiver)
    report("sent once back", after, receiver)

    rows = list(Delivery.objects.filter(id__gt=first_delivery).values_list("event_id", "status", "attempts"))
    published = {str(event_id) for event_id, _, _ in rows}
    counts = Counter(event_id for _, event_id, task_id, _ in receiver.arrivals if task_id in during or task_id in after)
    once = sum(1 for event_id in published if counts[event_id] == 1)
    statuses = Counter(status for _, status, _ in rows)
    tries = Counter(n for _, _, n in rows)
    last = max((receiver.first_arrivals().get(t, 0) for t in during), default=up_at)
    print(
        f"  outage: {len(published)} events, {once} arrived exactly once, "
        f"{sum(1 for e in published if counts[e] > 1)} more than once, {len(published - set(counts))} never; "
        f"rows {dict(statuses)}; attempts per delivery {dict(sorted(tries.items()))}; "
        f"the last event sent while down arrived {last - up_at:.1f} s after the receiver was back"
    )
    return len(published) - once + sum(1 for _, status, _ in rows if status != "delivered")


# --- The modes --------------------------------------------------------------------------


def embedded_mode(args: argparse.Namespace) -> int:
    os.environ["MINA_WEBHOOKS_ALLOW_PRIVATE"] = "1"
    folder = setup("webhooks")  # jobs eager for the set-up; the runner below takes them instead
    from mina import embedded
    from mina.celery import app

    app.conf.task_always_eager = False
    worker = embedded.start_worker()  # as `manage.py serve` does
    embedded.start_timer()
    try:
        return measure(args, f"embedded: the in-process job runner (threads, memory broker), SQLite in {folder}")
    finally:
        worker.stop(in_sighandler=False)
        shutil.rmtree(folder, ignore_errors=True)


def scaled_mode(args: argparse.Namespace) -> int:
    import psycopg

    server = args.postgres.rstrip("/")
    database = f"mina_bench_webhooks_{os.getpid()}"
    env = {"DATABASE_URL": f"{server}/{database}", "MINA_WEBHOOKS_ALLOW_PRIVATE": "1"}
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')  # type: ignore[arg-type]
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=ROOT,
            check=True,
            env={**django_env(database, "", **env), "REDIS_URL": ""},
            capture_output=True,
        )
        # The worker as the Procfile runs it (prefork, one process per core), retrying
        # at the outage run's pace from the start (the healthy runs make no retries).
        with Cluster(
            database, web=0, worker=True, MINA_WEBHOOK_RETRY_BASE_S=str(OUTAGE_RETRY_BASE_S), **env
        ) as cluster:
            setup_django(database, cluster.redis_url, **env)
            try:
                return measure(
                    args,
                    f"scaled: `celery -A mina worker` (prefork) on a private Redis, "
                    f"PostgreSQL database {database}; logs in {cluster.logs}",
                )
            finally:
                from django.db import connections

                connections.close_all()
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["both", "embedded", "scaled"], default="both")
    parser.add_argument("--events", type=int, default=200, help="spaced events, 20-50 ms apart")
    parser.add_argument("--burst", type=int, default=100, help="events in one commit")
    parser.add_argument(
        "--outage",
        type=int,
        default=0,
        help="seconds the receiver is down (default: 10 minutes at the outage run's back-off)",
    )
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="for the scaled mode")
    args = parser.parse_args()
    if args.mode != "both":
        sys.exit(embedded_mode(args) if args.mode == "embedded" else scaled_mode(args))
    passed = [a for a in sys.argv[1:] if a not in ("--mode", "both") and not a.startswith("--mode=")]
    codes = [
        subprocess.run([sys.executable, "-m", "benchmarks.webhooks", "--mode", mode, *passed], cwd=ROOT).returncode
        for mode in ("embedded", "scaled")
    ]
    sys.exit(max(codes))


if __name__ == "__main__":
    main()
