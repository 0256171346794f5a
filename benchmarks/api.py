"""List endpoints under concurrent load on PostgreSQL: p50/p99 and requests per second.

    .venv/bin/python manage.py seed_benchmark          # with DATABASE_URL=.../mina_bench
    .venv/bin/python benchmarks/api.py [--database mina_bench] [--requests 600] [--concurrency 1,8] \
        [--compare /path/to/a/copy/of/the/code/before]

Starts a private Redis and two Daphne processes on the seeded database (the scaled mode),
signs in as the seed's owner, then for each endpoint and each concurrency sends
`--requests` GETs over keep-alive connections spread across both servers, after a
warm-up. Each row is one endpoint alone at that concurrency. The per-user API rate limit
is lifted for the run (MINA_RATE_API_USER); everything else is the production code path.
It also counts the SQL queries each endpoint runs (in this process, Django's test client
on the same database): a count that grows with the page is an N+1. Target: p50 < 25 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from _cluster import ROOT, Cluster, cpu_seconds, load_average, setup_django, summary_ms


class Connection:
    """One keep-alive HTTP/1.1 connection; a few microseconds of client work per request."""

    def __init__(self, base: str, token: str) -> None:
        self.host, self.port = base.removeprefix("http://").split(":")
        self.token = token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, int(self.port))
        assert self.reader is not None
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAuthorization: Bearer {self.token}\r\n"
            "Accept: application/json\r\nConnection: keep-alive\r\n\r\n".encode()
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in
                   (line.partition(b":") for line in head.split(b"\r\n")[1:] if line)}
        if b"content-length" in headers:
            body = await self.reader.readexactly(int(headers[b"content-length"]))
        else:
            body = await self._chunked()
        if headers.get(b"connection", b"").lower() == b"close":
            self.close()
        return status, body

    async def _chunked(self) -> bytes:
        assert self.reader is not None
        body = b""
        for _ in range(100_000):
            size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
            chunk = await self.reader.readexactly(size + 2)
            if size == 0:
                return body
            body += chunk[:-2]
        raise RuntimeError("too many chunks")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def load(urls: list[str], token: str, path: str, requests: int, concurrency: int) -> dict[str, Any]:
    connections = [Connection(urls[i % len(urls)], token) for i in range(concurrency)]
    for connection in connections:  # warm-up: connect, and let each server cache its plans
        for _ in range(3):
            status, body = await connection.get(path)
            if status != 200:
                raise RuntimeError(f"{path}: HTTP {status} {body[:300]!r}")
    latencies: list[float] = []
    errors = 0
    remaining = iter(range(requests))

    async def client(connection: Connection) -> None:
        nonlocal errors
        for _ in remaining:
            started = time.perf_counter()
            status, _ = await connection.get(path)
            latencies.append(time.perf_counter() - started)
            errors += status != 200

    started = time.perf_counter()
    await asyncio.gather(*(client(c) for c in connections))
    elapsed = time.perf_counter() - started
    for connection in connections:
        connection.close()
    p50, p99, worst = summary_ms(latencies)
    return {"p50": p50, "p99": p99, "max": worst, "rps": len(latencies) / elapsed, "errors": errors}


def token_for(url: str, email: str, password: str) -> str:
    request = urllib.request.Request(
        f"{url}/api/v1/auth/token/", data=json.dumps({"email": email, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.load(response)["access"])


def endpoints(email: str) -> list[tuple[str, str]]:
    """(name, path) on the seeded data: the owner's workspace and its longest meeting."""
    from django.db.models import Count

    from meetings.models import Meeting
    from transcription.models import Segment
    from workspaces.models import Workspace

    workspace = Workspace.objects.get(slug="bench", memberships__user__email=email)
    long_meeting = (Meeting.objects.filter(workspace=workspace).annotate(n=Count("segments"))
                    .order_by("-n", "id").values_list("id", flat=True).first())
    ids = list(Segment.objects.filter(meeting_id=long_meeting).order_by("id").values_list("id", flat=True))
    recent = ids[-20]  # a client that was away for the last 20 segments
    return [
        ("meetings, first page (20)", "/api/v1/meetings/"),
        ("meetings, workspace + status=ready", f"/api/v1/meetings/?workspace={workspace.id}&status=ready"),
        ("meetings, page 2 (cursor)", "NEXT:/api/v1/meetings/"),
        ("segments after= (20 new)", f"/api/v1/meetings/{long_meeting}/segments/?after={recent}"),
        ("segments after=0, limit=100", f"/api/v1/meetings/{long_meeting}/segments/?after=0&limit=100"),
        ("segments after=0 (500, default page)", f"/api/v1/meetings/{long_meeting}/segments/?after=0"),
        ("tasks, first page (50)", "/api/v1/tasks/"),
        ("tasks, assignee=me&status=open", "/api/v1/tasks/?assignee=me&status=open"),
        ("meetings, search=survey", "/api/v1/meetings/?search=survey"),
    ]


def query_count(email: str, path: str) -> tuple[int, str]:
    """SQL queries for one request, through Django's test client on the same database."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User

    client = Client(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(User.objects.get(email=email))}")
    with CaptureQueriesContext(connection) as context:
        response = client.get(path, SERVER_NAME="127.0.0.1")
    assert response.status_code == 200, response.content[:300]
    return len(context.captured_queries), response.content.decode()


def query_counts_in(root: Path, database: str, email: str, paths: list[str]) -> list[int]:
    """The same count for another copy of the code, in a subprocess importing that copy."""
    result = subprocess.run(
        [sys.executable, __file__, "--database", database, "--email", email, "--count-only", *paths],
        cwd=root, env={**os.environ, "MINA_BENCH_ROOT": str(root)}, capture_output=True, text=True, timeout=120, check=True,
    )
    return [int(n) for n in result.stdout.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="mina_bench")
    parser.add_argument("--email", default="bench@example.com")
    parser.add_argument("--password", default="bench-pass-123")
    parser.add_argument("--requests", type=int, default=600, help="per endpoint, concurrency and round")
    parser.add_argument("--concurrency", default="1,8", help="comma-separated")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", default="", help="run only endpoints whose name contains this")
    parser.add_argument("--compare", type=Path, help="another copy of the code (e.g. before a change): "
                        "measured in turn with this one, on servers of its own, so both see the same load")
    parser.add_argument("--count-only", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    setup_django(args.database, MINA_RATE_API_USER="1000000/min")
    if args.count_only is not None:
        print(" ".join(str(query_count(args.email, path)[0]) for path in args.count_only))
        return

    table = endpoints(args.email)
    if args.only:
        table = [row for row in table if args.only in row[0]]
    names = [name for name, _ in table]
    paths = [json.loads(query_count(args.email, p[5:])[1])["next"].split("127.0.0.1", 1)[1]
             if p.startswith("NEXT:") else p for _, p in table]
    trees = {"this": (ROOT, [query_count(args.email, p)[0] for p in paths])}
    if args.compare:
        trees = {"compared": (args.compare, query_counts_in(args.compare, args.database, args.email, paths)), **trees}

    levels = [int(x) for x in args.concurrency.split(",")]
    print(f"load average before: {load_average()}")
    with contextlib.ExitStack() as stack:
        clusters = {label: stack.enter_context(Cluster(args.database, web=2, root=root,
                                                       MINA_RATE_API_USER="1000000/min",
                                                       MINA_JWT_ACCESS_MINUTES="600"))
                    for label, (root, _) in trees.items()}
        tokens = {label: token_for(c.urls[0], args.email, args.password) for label, c in clusters.items()}
        print(f"{'endpoint':<38} {'code':<8} {'SQL':>3} {'conc':>4} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
              f"{'req/s':>7} {'CPU ms':>7}  load")
        for round_ in range(args.rounds):
            print(f"-- round {round_ + 1}")
            for index, (name, path) in enumerate(zip(names, paths, strict=True)):
                for concurrency in levels:
                    for label, cluster in clusters.items():
                        pids = list(cluster.pids().values())
                        cpu = sum(cpu_seconds(pid) for pid in pids)
                        r = asyncio.run(load(cluster.urls, tokens[label], path, args.requests, concurrency))
                        # Server CPU per request (Redis and Daphne; PostgreSQL's share is not counted):
                        # unlike the times, barely moved by what else runs on the machine.
                        cpu_ms = (sum(cpu_seconds(pid) for pid in pids) - cpu) * 1000 / (args.requests + 3 * concurrency)
                        print(f"{name:<38} {label:<8} {trees[label][1][index]:>3} {concurrency:>4} {r['p50']:>7.1f} "
                              f"{r['p99']:>7.1f} {r['max']:>7.1f} {r['rps']:>7.0f} {cpu_ms:>7.1f}  "
                              f"{os.getloadavg()[0]:.1f}" + (f"  {r['errors']} errors" if r["errors"] else ""), flush=True)
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
