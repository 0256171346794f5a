"""Fill a database with a large workspace for the load benchmarks (benchmarks/api.py).

    python manage.py seed_benchmark [--meetings 10000] [--segments 100000] [--tasks 5000] [--reset]

One workspace (slug `bench`) owned by `--email` with `--members` more members, its
meetings spread over a year, most of them short and `--long` of them with 2,000 segments
(an hour-long meeting), and tasks assigned round robin; plus two small workspaces the
owner is not in, so every read has something to leave out. Rows go in with bulk_create
in batches. Running it again does nothing unless `--reset` deletes the bench workspaces
first (the users stay). Never run it on a production database.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from meetings.models import Meeting, Participant, Task
from transcription.models import Recording, Segment
from workspaces.models import Membership, Role, Workspace

SLUG = "bench"
OTHER_SLUGS = ["bench-other-1", "bench-other-2"]
BATCH = 5000
LONG_SEGMENTS = 2000
SENTENCES = [
    "David, please fix the login error before Thursday",
    "I will write the survey report by Friday",
    "we ship the mobile release on Monday",
    "the quarterly budget renewals are set in",
    "let us look at the customer survey numbers",
    "the vendor exports are late again this week",
    "can everyone hear me now",
    "I think the new onboarding flow is much clearer",
]


@contextmanager
def _own_timestamps(*models: Any) -> Iterator[None]:
    """Let bulk_create keep the `created_at` we give instead of now()."""
    fields = [model._meta.get_field("created_at") for model in models]
    for field in fields:
        field.auto_now_add = False
    try:
        yield
    finally:
        for field in fields:
            field.auto_now_add = True


def _words(text: str, start_ms: int, end_ms: int) -> list[dict[str, Any]]:
    words = text.split()
    step = (end_ms - start_ms) // len(words)
    return [
        {"start_ms": start_ms + i * step, "end_ms": start_ms + (i + 1) * step, "word": word, "p": 0.9}
        for i, word in enumerate(words)
    ]


def _batched(rows: Iterator[Any]) -> Iterator[list[Any]]:
    while batch := list(itertools.islice(rows, BATCH)):
        yield batch


class Command(BaseCommand):
    help = "Seed a large benchmark workspace (10,000 meetings, 100,000 segments) with bulk_create."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--email", default="bench@example.com")
        parser.add_argument("--password", default="bench-pass-123")
        parser.add_argument("--meetings", type=int, default=10_000)
        parser.add_argument("--segments", type=int, default=100_000)
        parser.add_argument("--tasks", type=int, default=5_000)
        parser.add_argument("--members", type=int, default=20)
        parser.add_argument("--long", type=int, default=20, help="meetings with 2,000 segments each")
        parser.add_argument("--reset", action="store_true", help="delete the bench workspaces first")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["reset"]:
            self._reset()
        elif Workspace.objects.filter(slug=SLUG).exists():
            self.stdout.write("Already seeded (use --reset to start again).")
            self._report(Workspace.objects.get(slug=SLUG), options["email"])
            return
        rng = random.Random(12)
        owner = self._user(options["email"], options["password"], "Bench Owner")
        members = [owner] + [self._user(f"bench-member-{i}@example.com", None, f"Member {i}")
                             for i in range(options["members"])]
        with transaction.atomic():
            workspace = self._workspace(SLUG, "Bench", members)
            meetings = self._meetings(workspace, options["meetings"], members, rng)
            self._segments(meetings, options["segments"], options["long"], rng)
            self._tasks(workspace, meetings, options["tasks"], members, rng)
            outsider = self._user("bench-outsider@example.com", None, "Outsider")
            for slug in OTHER_SLUGS:
                other = self._workspace(slug, slug.title(), [outsider])
                self._segments(self._meetings(other, 1000, [outsider], rng), 2000, 0, rng)
        if connection.vendor == "postgresql":
            # Fresh statistics, as autovacuum would gather within minutes: without them the
            # planner guesses (the segment page's count took 7 ms instead of 1.5).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self._report(workspace, options["email"])

    def _user(self, email: str, password: str | None, name: str) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, password, display_name=name)
        elif password is not None and not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        return user

    def _workspace(self, slug: str, name: str, users: list[User]) -> Workspace:
        workspace = Workspace.objects.create(name=name, slug=slug)
        Membership.objects.bulk_create(
            Membership(workspace=workspace, user=user, role=Role.OWNER if i == 0 else Role.MEMBER)
            for i, user in enumerate(users)
        )
        return workspace

    def _meetings(self, workspace: Workspace, count: int, users: list[User], rng: random.Random) -> list[Meeting]:
        now = timezone.now()
        statuses = [Meeting.Status.READY] * 17 + [Meeting.Status.FAILED, Meeting.Status.SCHEDULED,
                                                   Meeting.Status.PROCESSING]
        rows = (
            Meeting(
                workspace=workspace,
                title=f"{rng.choice(['Standup', 'Planning', 'Retro', 'Review', '1:1'])} {i}",
                organizer=users[i % len(users)],
                status=rng.choice(statuses),
                started_at=now - timedelta(minutes=(count - i) * 50),
                ended_at=now - timedelta(minutes=(count - i) * 50 - 30),
                created_at=now - timedelta(minutes=(count - i) * 50),
            )
            for i in range(count)
        )
        meetings: list[Meeting] = []
        with _own_timestamps(Meeting):
            for batch in _batched(rows):
                meetings += Meeting.objects.bulk_create(batch)
        self.stdout.write(f"{workspace.slug}: {len(meetings)} meetings")
        return meetings

    def _segments(self, meetings: list[Meeting], total: int, long: int, rng: random.Random) -> None:
        speakers = self._speakers(meetings)
        long_ids = {m.id for m in meetings[:: max(1, len(meetings) // long)][:long]} if long else set()
        short_total = total - LONG_SEGMENTS * len(long_ids)
        short_meetings = [m for m in meetings if m.id not in long_ids]
        per_meeting, extra = divmod(short_total, len(short_meetings))

        counts = {m.id: per_meeting + (1 if i < extra else 0) for i, m in enumerate(short_meetings)}
        counts.update(dict.fromkeys(long_ids, LONG_SEGMENTS))
        recordings = self._recordings(meetings, counts)

        def rows() -> Iterator[Segment]:
            for meeting in meetings:
                count = counts[meeting.id]
                pair = speakers[meeting.id]
                for n in range(count):
                    text = rng.choice(SENTENCES)
                    start = n * 1800
                    yield Segment(
                        meeting_id=meeting.id, recording_id=recordings[meeting.id], participant=pair[n % 2],
                        utterance_id=f"u{meeting.id}-{n}",
                        start_ms=start, end_ms=start + 1700, text=text, words=_words(text, start, start + 1700),
                        kind=Segment.Kind.REFINED if meeting.status == Meeting.Status.READY else Segment.Kind.FINAL,
                    )

        created = 0
        for batch in _batched(rows()):
            Segment.objects.bulk_create(batch)
            created += len(batch)
        self.stdout.write(f"  {created} segments ({len(long_ids)} meetings with {LONG_SEGMENTS})")

    def _recordings(self, meetings: list[Meeting], counts: dict[int, int]) -> dict[int, int]:
        """One recording per meeting, refined to its end when the meeting is ready."""
        rows = (
            Recording(
                meeting=m, source=Recording.Source.UPLOAD, duration_ms=counts[m.id] * 1800,
                status=Recording.Status.DONE if m.status == Meeting.Status.READY else Recording.Status.QUEUED,
                refined_ms=counts[m.id] * 1800 if m.status == Meeting.Status.READY else 0,
            )
            for m in meetings
        )
        created: list[Recording] = []
        for batch in _batched(rows):
            created += Recording.objects.bulk_create(batch)
        return {r.meeting_id: r.id for r in created}

    def _speakers(self, meetings: list[Meeting]) -> dict[int, tuple[Participant, Participant]]:
        rows = [Participant(meeting=m, name=name) for m in meetings for name in ("Alice", "Bob")]
        created: list[Participant] = []
        for batch in _batched(iter(rows)):
            created += Participant.objects.bulk_create(batch)
        return {created[i].meeting_id: (created[i], created[i + 1]) for i in range(0, len(created), 2)}

    def _tasks(self, workspace: Workspace, meetings: list[Meeting], count: int, users: list[User],
               rng: random.Random) -> None:
        today = date.today()
        now = timezone.now()
        rows = (
            Task(
                workspace=workspace, meeting=meetings[rng.randrange(len(meetings))], title=f"Action item {i}",
                assignee=users[i % len(users)] if i % 7 else None, owner_name="" if i % 7 else "Someone",
                due_date=today + timedelta(days=rng.randint(-30, 60)) if i % 3 else None,
                status=rng.choice(list(Task.Status)), created_by=users[0],
                created_at=now - timedelta(minutes=count - i),
            )
            for i in range(count)
        )
        with _own_timestamps(Task):
            for batch in _batched(rows):
                Task.objects.bulk_create(batch)
        self.stdout.write(f"  {count} tasks")

    def _reset(self) -> None:
        """Raw deletes in dependency order: the ORM's cascade would load 100,000 segments."""
        workspaces = Workspace.objects.filter(slug__in=[SLUG, *OTHER_SLUGS])
        meetings = Meeting.objects.filter(workspace__in=workspaces)
        with transaction.atomic():
            for queryset in (
                Task.objects.filter(workspace__in=workspaces),
                Segment.objects.filter(meeting__in=meetings),
                Recording.objects.filter(meeting__in=meetings),
                Participant.objects.filter(meeting__in=meetings),
            ):
                queryset._raw_delete(queryset.db)
            workspaces.delete()
        self.stdout.write("Bench workspaces deleted.")

    def _report(self, workspace: Workspace, email: str) -> None:
        longest = (
            Meeting.objects.filter(workspace=workspace, segments__isnull=False)
            .values("id").annotate(n=Count("segments"))
            .order_by("-n", "id").first()
        )
        self.stdout.write(
            f"workspace={workspace.id} user={email} "
            f"meetings={Meeting.objects.filter(workspace=workspace).count()} "
            f"segments={Segment.objects.filter(meeting__workspace=workspace).count()} "
            f"tasks={Task.objects.filter(workspace=workspace).count()} "
            f"long_meeting={longest['id'] if longest else None}"
        )
