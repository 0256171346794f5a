"""The operations page in the admin (/admin/ops/) on a big database: p50/p90 of its render.

    DEBUG=1 .venv/bin/python -m benchmarks.ops_page [--requests 100] [--files 3000] \
        [--database-url postgres://…/a_database_of_your_own]

Embedded mode by default (a throwaway SQLite database, benchmarks/_django.setup);
`--database-url` runs on that database instead (migrated and seeded if it is not yet;
the media in a temporary folder).
`seed_benchmark` fills 10,000 meetings and 100,000 segments (one meeting in twenty
failed); on top come 20 live meetings of 3 streams, each stream's stats as an hour of
audio leaves them (1,000 latencies), 200 failed recordings, and `--files` files in the
media folder: live chunks of streams in progress, and recordings' files.

Then, as a staff member through Django's test client (every middleware, the session, the
templates): the first render, which walks the media folder and sizes the tables; then
`--requests` renders, with those two measurements cached (30 s) as they are while the page
is open; then each section's fragment as HTMX asks for it, health included (its job-runner
check runs the ping job inline here: jobs are eager). Target: page p50 < 200 ms.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
import uuid
from typing import Any

from benchmarks._django import setup

SECTIONS = ["health", "live", "queues", "failures", "storage", "capacity"]


def percentile(values: list[float], p: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * p // 100) - 1)]


def django_on(database_url: str | None) -> None:
    setup("ops-page", database_url)  # media in a new folder, never the checkout's own


def seed_extras(files: int) -> None:
    """Live meetings with their streams' stats and failed recordings (once per database),
    and the media files (each run: its media folder is new)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from meetings.models import Meeting, Participant
    from transcription import live
    from transcription.models import Recording
    from workspaces.models import Workspace

    workspace = Workspace.objects.get(slug="bench")
    if not Meeting.objects.filter(workspace=workspace, status=Meeting.Status.LIVE).exists():
        stats = live.StreamStats(
            audio_ms=3_600_000,
            processing_ms=700_000,
            partials=2400,
            partials_skipped=120,
            finals=900,
            final_latencies_ms=[300 + n % 700 for n in range(1000)],
            partial_latencies_ms=[200 + n % 500 for n in range(1000)],
            overload_periods=[{"start_ms": n * 60_000, "end_ms": n * 60_000 + 4000} for n in range(12)],
        ).as_json()
        organizer = workspace.memberships.first().user
        for n in range(20):
            meeting = Meeting.objects.create(
                workspace=workspace,
                organizer=organizer,
                title=f"Live {n}",
                status=Meeting.Status.LIVE,
                started_at=timezone.now(),
            )
            for name in ("Ann", "Ben", "Cy"):
                Recording.objects.create(
                    meeting=meeting,
                    participant=Participant.objects.create(meeting=meeting, name=name),
                    source=Recording.Source.LIVE,
                    status=Recording.Status.RECEIVING,
                    last_audio_at=timezone.now(),
                    stream_id=uuid.uuid4(),
                    stats=stats,
                )
        queued = Recording.objects.filter(status=Recording.Status.QUEUED, meeting__workspace=workspace)
        Recording.objects.filter(pk__in=list(queued.values_list("pk", flat=True)[:200])).update(
            status=Recording.Status.FAILED,
            error="Gave up after 6 tries: the speech engine was away",
        )
    streams = list(Recording.objects.filter(status=Recording.Status.RECEIVING))
    chunks = files // 3
    for n in range(chunks):
        default_storage.save(f"{streams[n % len(streams)].chunk_dir}/{n * 3200:012d}.pcm", ContentFile(b"\0" * 3200))
    done = list(Recording.objects.filter(status=Recording.Status.DONE).values_list("pk", flat=True)[: files - chunks])
    for n, pk in enumerate(done):
        name = default_storage.save(
            f"recordings/{uuid.uuid4().hex}.{'wav' if n % 2 else 'ogg'}", ContentFile(b"\1" * 4096)
        )
        Recording.objects.filter(pk=pk).update(file=name)


def timed(client: Any, path: str, times: int) -> list[float]:
    took = []
    for _ in range(times):
        started = time.perf_counter()
        response = client.get(path)
        took.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--database-url", help="a database of your own (default: a throwaway SQLite one)")
    args = parser.parse_args()
    django_on(args.database_url)

    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from meetings.models import Meeting
    from mina import ops_storage
    from transcription.models import Segment

    started = time.perf_counter()
    call_command("seed_benchmark", stdout=io.StringIO())
    seed_extras(args.files)
    print(
        f"seeded in {time.perf_counter() - started:.0f} s: {Meeting.objects.count()} meetings, "
        f"{Segment.objects.count()} segments, {connection.vendor}"
    )
    staff, _ = User.objects.get_or_create(
        email="ops-bench@example.com", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(staff)

    cache.clear()
    for name, measure in [
        ("media folder walk", ops_storage._measure_storage),
        ("table sizes", ops_storage._measure_tables),
    ]:
        began = time.perf_counter()
        measure()
        print(f"{name}, uncached: {(time.perf_counter() - began) * 1000:.0f} ms")
    cache.clear()
    first = timed(client, "/admin/ops/", 1)[0]
    pages = timed(client, "/admin/ops/", args.requests)
    client.get("/admin/ops/")
    queries = len(connection.queries)  # of that last render (DEBUG on: Django keeps them, per request)
    print(f"first render (uncached): {first * 1000:.0f} ms")
    print(
        f"page: p50 {statistics.median(pages) * 1000:.0f} ms, p90 {percentile(pages, 90) * 1000:.0f} ms "
        f"over {args.requests} renders, {queries} queries each; load {os.getloadavg()[0]:.2f}"
    )
    for name in SECTIONS:
        took = timed(client, f"/admin/ops/{name}/", max(10, args.requests // 5))
        print(f"  {name:<9} p50 {statistics.median(took) * 1000:6.1f} ms, p90 {percentile(took, 90) * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
