"""The daily digest at scale: 10,000 tasks over 1,000 members, every digest due at once.

    DEBUG=1 .venv/bin/python -m benchmarks.digest [--members 1000] [--tasks 10000]
    DEBUG=1 .venv/bin/python -m benchmarks.digest --postgres postgres://postgres@127.0.0.1:5432

A throwaway database, SQLite (the embedded mode) or with --postgres a new database on that
server (dropped at the end), gets 10 workspaces of 100 members, each
member also in a second workspace (2,000 memberships) and 50 of them gone from it since;
members spread over 12 time zones, all with digest hour 0, so that every member's local
time has reached it: the worst run, all 1,000 digests in one go. The tasks go to members
at random (seeded): due from 10 days ago to 20 days ahead or never, 80 % accepted, 10 %
done, half of them said in one of 100 meetings (a link to their moment). Mail goes to
Django's locmem backend; jobs run inline (MINA_JOBS_EAGER), so one call times the whole
run: finding who is due, one row and one job each, and each job building, claiming,
sending and marking its digest. Then the same call again, which has nothing to send (the
cost of every later periodic run that day). Target: under 30 s on 2 cores.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from benchmarks._django import setup

ZONES = [
    "UTC",
    "Europe/London",
    "Europe/Paris",
    "Europe/Helsinki",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "America/Sao_Paulo",
    "America/New_York",
    "America/Denver",
    "America/Los_Angeles",
]


def seed(members: int, tasks: int, now: datetime) -> dict[str, int]:
    from django.db import transaction

    from accounts.models import User
    from meetings.models import Meeting, Task
    from transcription.models import Recording, Segment
    from workspaces.models import Membership, Workspace

    rng = random.Random(24)
    with transaction.atomic():
        workspaces = Workspace.objects.bulk_create(
            [Workspace(name=f"Team {n}", slug=f"team-{n}") for n in range(max(1, members // 100))]
        )
        users = User.objects.bulk_create(
            [
                User(
                    email=f"member{n}@example.com",
                    display_name=f"Member {n}",
                    password="!",
                    time_zone=ZONES[n % len(ZONES)],
                    digest_hour=0,
                )
                for n in range(members)
            ]
        )
        home = {u.pk: workspaces[n % len(workspaces)] for n, u in enumerate(users)}
        second = {u.pk: workspaces[(n + 1) % len(workspaces)] for n, u in enumerate(users)}
        Membership.objects.bulk_create(
            [Membership(workspace=w, user_id=pk) for pk, w in home.items()]
            + [Membership(workspace=w, user_id=pk) for pk, w in second.items() if w != home[pk]]
        )
        meetings = Meeting.objects.bulk_create(
            [
                Meeting(workspace=workspaces[n % len(workspaces)], title=f"Weekly {n}", status="ready")
                for n in range(100)
            ]
        )
        recordings = Recording.objects.bulk_create([Recording(meeting=m, source="live") for m in meetings])
        today = now.date()
        rows = []
        for n in range(tasks):
            user = users[rng.randrange(members)]
            workspace = home[user.pk] if rng.random() < 0.7 else second[user.pk]
            due = None if rng.random() < 0.15 else today + timedelta(days=rng.randint(-10, 20))
            review = Task.Review.ACCEPTED if rng.random() < 0.8 else rng.choice(["suggested", "dismissed"])
            rows.append(
                Task(
                    workspace=workspace,
                    title=f"Task {n}: follow up on the item",
                    assignee=user,
                    due_date=due,
                    review=review,
                    status="done" if rng.random() < 0.1 else "open",
                )
            )
        created = Task.objects.bulk_create(rows)
        in_meeting = [t for t in created if rng.random() < 0.5]
        segments = Segment.objects.bulk_create(
            [
                Segment(
                    meeting=meetings[n % 100],
                    recording=recordings[n % 100],
                    start_ms=n * 1000,
                    end_ms=n * 1000 + 900,
                    text=f"{t.title}, please",
                    kind="refined",
                )
                for n, t in enumerate(in_meeting)
            ]
        )
        for n, (task, segment) in enumerate(zip(in_meeting, segments, strict=True)):
            task.meeting, task.source_segment = meetings[n % 100], segment
        Task.objects.bulk_update(in_meeting, ["meeting", "source_segment"], batch_size=500)
        # Members who left their second workspace: its tasks must stay out of their digest.
        left = [u.pk for u in users[: max(1, members // 20)]]
        Membership.objects.filter(user_id__in=left, workspace__in=[second[pk] for pk in left]).exclude(
            workspace__in=[home[pk] for pk in left]
        ).delete()
    return {"workspaces": len(workspaces), "members": members, "tasks": tasks, "members who left one": len(left)}


@contextlib.contextmanager
def postgres_database(server: str) -> Iterator[str]:
    """A new database on `server` with Django set up on it (migrated); dropped after."""
    import psycopg

    name = f"mina_bench_digest_{os.getpid()}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        setup("digest", f"{server}/{name}")
        yield name
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(members: int, tasks: int, postgres: str) -> None:
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ.setdefault("MINA_SITE_URL", "https://mina.example.com")
    if postgres:
        with postgres_database(postgres.rstrip("/")) as name:
            measure(members, tasks, where=f"PostgreSQL database {name}")
    else:
        measure(members, tasks, where=f"SQLite in {setup('digest')}")


def measure(members: int, tasks: int, where: str) -> None:
    from django.core import mail

    from integrations.mail import digests_queue
    from integrations.models import OutgoingMail

    now = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    started = time.perf_counter()
    seeded = seed(members, tasks, now)
    print(f"seeded in {time.perf_counter() - started:.1f} s: {seeded}  ({where})")

    mail.outbox = []
    wall, cpu = time.perf_counter(), time.process_time()
    queued = digests_queue(now=now)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    sent = OutgoingMail.objects.filter(status="sent").count()
    listed = sum(m.body.count("\n- ") for m in mail.outbox)
    print(f"digest run: {queued} queued, {sent} sent, {len(mail.outbox)} in the outbox, {listed} task lines")
    print(f"  {wall:.2f} s wall, {cpu:.2f} s CPU, {wall / max(sent, 1) * 1000:.1f} ms per digest")

    later = []
    for minutes in (1, 2, 3):
        again = time.perf_counter()
        assert digests_queue(now=now + timedelta(minutes=minutes)) == 0
        later.append((time.perf_counter() - again) * 1000)
    print(f"the next periodic runs (nothing left to send): {', '.join(f'{ms:.0f}' for ms in later)} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--postgres", default="", help="a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    run(args.members, args.tasks, args.postgres)


if __name__ == "__main__":
    main()
