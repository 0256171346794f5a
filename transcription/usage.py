"""Reads for operators, across every workspace: usage per workspace (the `usage` command
and the workspace's admin page) and what is in each state now (/metrics).

Nothing here is scoped to a user: never call it behind a member's request.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Literal

from django.db.models import Count, DateField, Q, Sum
from django.db.models.functions import Coalesce, Trunc
from django.utils import timezone

from meetings.models import Meeting
from workspaces.models import Workspace

from .models import Recording

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

Period = Literal["day", "month"]

CSV_HEADER = [
    "workspace", "period", "minutes_recorded", "minutes_uploaded", "minutes_transcribed", "meetings",
    "active_members",
]


@dataclass
class Usage:
    """One workspace in one day or month. Minutes count recordings by the day they were
    made; `transcribed_ms` is the part of them whose careful pass has finished."""

    workspace: str  # its slug
    period: date  # the day, or the month's first day
    recorded_ms: int = 0
    uploaded_ms: int = 0
    transcribed_ms: int = 0
    meetings: int = 0
    active: set[int] = field(default_factory=set)  # who organised, recorded or uploaded

    @property
    def active_members(self) -> int:
        return len(self.active)

    def label(self, by: Period) -> str:
        return self.period.isoformat() if by == "day" else self.period.strftime("%Y-%m")

    def values(self) -> list[str | int]:
        """The numbers after the period, as the CSV and the tables show them."""
        return [minutes(self.recorded_ms), minutes(self.uploaded_ms), minutes(self.transcribed_ms), self.meetings,
                self.active_members]


def minutes(ms: int) -> str:
    return f"{ms / 60000:.2f}"


def usage_list(
    *, workspaces: Iterable[Workspace] | None = None, since: date | None = None, until: date | None = None,
    by: Period = "month",
) -> list[Usage]:
    """Usage per workspace and day or month, in the site's time zone, `since` and `until`
    included; only periods with something in them. Three queries, however long the window."""
    period = Trunc("created_at", by, output_field=DateField(), tzinfo=timezone.get_current_timezone())
    window = Q()
    if since:
        window &= Q(created_at__gte=_start_of(since))
    if until:
        window &= Q(created_at__lt=_start_of(until + timedelta(days=1)))
    ids = None if workspaces is None else [w.pk for w in workspaces]
    rows: dict[tuple[str, date], Usage] = {}

    def row(slug: str, day: date) -> Usage:
        return rows.setdefault((slug, day), Usage(workspace=slug, period=day))

    meetings = Meeting.objects.filter(window, **({} if ids is None else {"workspace__in": ids}))
    for group in (
        meetings.annotate(period=period).values("workspace__slug", "period", "organizer")
        .annotate(count=Count("id")).order_by()
    ):
        usage = row(group["workspace__slug"], group["period"])
        usage.meetings += group["count"]
        if group["organizer"] is not None:
            usage.active.add(group["organizer"])

    recordings = Recording.objects.filter(window, **({} if ids is None else {"meeting__workspace__in": ids}))
    for sums in (
        recordings.annotate(period=period).values("meeting__workspace__slug", "period")
        .annotate(
            recorded=Sum("duration_ms", filter=Q(source=Recording.Source.LIVE), default=0),
            uploaded=Sum("duration_ms", filter=Q(source=Recording.Source.UPLOAD), default=0),
            transcribed=Sum("duration_ms", filter=Q(status=Recording.Status.DONE), default=0),
        ).order_by()
    ):
        usage = row(sums["meeting__workspace__slug"], sums["period"])
        usage.recorded_ms, usage.uploaded_ms, usage.transcribed_ms = (
            sums["recorded"], sums["uploaded"], sums["transcribed"]
        )

    # A live recording is its speaker's (a guest has no account); an upload its uploader's.
    people = recordings.annotate(period=period, person=Coalesce("uploaded_by", "participant__user"))
    for slug, day, person in (
        people.exclude(person=None).values_list("meeting__workspace__slug", "period", "person").distinct().order_by()
    ):
        row(slug, day).active.add(person)

    return sorted(rows.values(), key=lambda u: (u.workspace, u.period))


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def write_csv(rows: Iterable[Usage], out: SupportsWrite[str], *, by: Period) -> None:
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    writer.writerows([usage.workspace, usage.label(by), *usage.values()] for usage in rows)


def recording_counts() -> dict[tuple[str, str], int]:
    """Recordings by (source, status), every workspace: live ones `receiving` are streams
    open now or dropped and resumable; `failed` ones are jobs failed for good."""
    rows = Recording.objects.values("source", "status").annotate(count=Count("id")).order_by()
    return {(r["source"], r["status"]): r["count"] for r in rows}


def meeting_counts() -> dict[str, int]:
    """Meetings by status, every workspace."""
    rows = Meeting.objects.values("status").annotate(count=Count("id")).order_by()
    return {r["status"]: r["count"] for r in rows}
