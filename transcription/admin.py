from datetime import date, timedelta
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from accounts import audit
from core.jobs import enqueue
from meetings.admin import ParticipantInline, TaskInline
from meetings.models import Meeting
from meetings.services import meeting_end
from workspaces import admin as workspaces_admin
from workspaces.models import Workspace

from . import jobs, usage
from .models import Recording, Segment


def _clock(ms: int) -> str:
    seconds = ms // 1000
    return f"{seconds // 60}:{seconds % 60:02d}"


def stats_rows(stats: dict[str, Any]) -> list[tuple[str, str]]:
    """A live stream's stats (Recording.stats) as (label, value) rows for people."""
    if not stats.get("audio_ms"):
        return []
    audio, processing = stats["audio_ms"], stats.get("processing_ms", 0)
    periods = stats.get("overload_periods") or []
    return [
        ("audio", f"{audio / 1000:.1f} s"),
        ("processing", f"{processing / 1000:.1f} s ({processing / audio:.0%} of the audio)"),
        ("finals", f"{stats.get('finals', 0)} ({stats.get('dropped', 0)} dropped as silence or noise)"),
        ("final latency", _latency(stats.get("final_latency_ms"))),
        ("partials", f"{stats.get('partials', 0)} sent, {stats.get('partials_skipped', 0)} skipped"),
        ("partial latency", _latency(stats.get("partial_latency_ms"))),
        ("overloaded", f"{stats.get('overloaded_ms', 0) / 1000:.1f} s in {len(periods)} period(s)"
         + "".join(f", {_clock(p['start_ms'])}-{_clock(p['end_ms'])}" for p in periods[:10])),
    ]


def _latency(latency: dict[str, Any] | None) -> str:
    if not latency or latency.get("median") is None:
        return "-"
    return f"median {latency['median']} ms, p90 {latency['p90']} ms"


def stats_table(stats: dict[str, Any]) -> SafeString:
    rows = stats_rows(stats or {})
    if not rows:
        return format_html("{}", "-")
    return format_html(
        "<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows)
    )


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin):
    list_display = [
        "id", "meeting", "participant", "source", "status", "progress", "attempts",
        "duration_ms", "final_latency", "created_at",
    ]
    list_filter = ["status", "source"]
    search_fields = ["meeting__title", "participant__name", "original_name", "error"]
    raw_id_fields = ["meeting", "participant", "uploaded_by"]
    list_select_related = ["meeting", "participant"]
    readonly_fields = [
        "stream_id", "live_stats", "stats", "error", "attempts", "progress", "created_at", "updated_at",
    ]
    actions = ["retranscribe"]

    @admin.display(description="How the live stream went")
    def live_stats(self, obj: Recording) -> SafeString:
        return stats_table(obj.stats)

    @admin.display(description="Final latency p50 / p90")
    def final_latency(self, obj: Recording) -> str:
        latency = (obj.stats or {}).get("final_latency_ms") or {}
        if latency.get("median") is None:
            return "-"
        return f"{latency['median']} / {latency['p90']} ms"

    @admin.action(description="Re-transcribe the selected recordings")
    def retranscribe(self, request: HttpRequest, queryset: QuerySet[Recording]) -> None:
        count = 0
        for recording in queryset.select_related("meeting__workspace"):
            if recording.file:
                jobs.retranscribe(recording=recording)
                audit_operator(request, "admin_retranscribe", recording.meeting, recording=recording.pk)
                count += 1
        self.message_user(request, f"{count} recording(s) queued for transcription.", messages.SUCCESS)


def audit_operator(request: HttpRequest, action: str, meeting: Meeting, **details: Any) -> None:
    """An operator's action, in the audit log of the meeting's workspace."""
    audit.record(action, actor=request.user, workspace=meeting.workspace, target=meeting, **details)


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["id", "meeting", "participant", "kind", "start_ms", "end_ms", "text", "edited"]
    list_filter = ["kind", "edited"]
    search_fields = ["text", "meeting__title"]
    raw_id_fields = ["meeting", "recording", "participant"]
    list_select_related = ["meeting", "participant"]


class SegmentInline(admin.TabularInline):
    model = Segment
    extra = 0
    fields = ["start_ms", "end_ms", "participant", "kind", "text", "edited"]
    readonly_fields = ["start_ms", "end_ms", "participant", "kind"]
    show_change_link = True
    ordering = ["start_ms", "id"]

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).select_related("participant")


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = [
        "title", "workspace", "organizer", "status", "language_label", "started_at", "ended_at", "created_at",
    ]
    list_filter = ["status", "language", "workspace"]
    search_fields = ["title", "workspace__name", "organizer__email"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["workspace", "organizer"]
    list_select_related = ["workspace", "organizer"]
    readonly_fields = ["created_at", "live_streams"]
    inlines = [ParticipantInline, TaskInline, SegmentInline]
    actions = ["resummarize", "retry_failed", "end_stuck"]

    @admin.action(description="Retry failed meetings where they stopped")
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Meeting]) -> None:
        count = 0
        for meeting in queryset.filter(status=Meeting.Status.FAILED).select_related("workspace"):
            jobs.meeting_retry(meeting=meeting)
            audit_operator(request, "admin_retry_meeting", meeting)
            count += 1
        self.message_user(request, f"{count} failed meeting(s) queued again.", messages.SUCCESS)

    @admin.action(description="Write the summary again (ready or failed meetings)")
    def resummarize(self, request: HttpRequest, queryset: QuerySet[Meeting]) -> None:
        count = 0
        for meeting in queryset.filter(status__in=[Meeting.Status.READY, Meeting.Status.FAILED]):
            enqueue(jobs.SUMMARIZE_MEETING, meeting.id)
            audit_operator(request, "admin_resummarize", meeting)
            count += 1
        self.message_user(request, f"{count} meeting(s) queued for a new summary.", messages.SUCCESS)

    @admin.action(description="End meetings stuck live (nobody recording any more)")
    def end_stuck(self, request: HttpRequest, queryset: QuerySet[Meeting]) -> None:
        count = 0
        for meeting in queryset.filter(status=Meeting.Status.LIVE).select_related("workspace"):
            with transaction.atomic():
                meeting_end(meeting=meeting, membership=None)
                audit_operator(request, "admin_end_meeting", meeting)
            count += 1
        note = f"{count} meeting(s) ended: their careful pass and summary follow."
        self.message_user(request, note, messages.SUCCESS)

    @admin.display(description="Live streams")
    def live_streams(self, obj: Meeting) -> SafeString:
        """How each participant's live stream went (Recording.stats), one query."""
        recordings = (
            Recording.objects.filter(meeting=obj, source=Recording.Source.LIVE)
            .select_related("participant")
            .order_by("offset_ms", "id")
        )
        rows = [
            (r.participant.name if r.participant else f"recording {r.id}", stats_table(r.stats)) for r in recordings
        ]
        if not rows:
            return format_html("{}", "-")
        return format_html_join("", "<p><strong>{}</strong></p>{}", rows)


USAGE_COLUMNS = ["period", "minutes recorded", "minutes uploaded", "minutes transcribed", "meetings", "active members"]


def usage_table(rows: list[usage.Usage], by: usage.Period) -> SafeString:
    if not rows:
        return format_html("<p>{}</p>", "Nothing recorded, uploaded or organised.")
    return format_html(
        "<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>",
        format_html_join("", "<th>{}</th>", ((column,) for column in USAGE_COLUMNS)),
        format_html_join("", "<tr>{}</tr>", (
            (format_html_join("", "<td>{}</td>", ((cell,) for cell in [u.label(by), *u.values()])),) for u in rows
        )),
    )


CHART_HEIGHT, BAR_WIDTH = 80, 12


def usage_chart(rows: list[usage.Usage], first: date, last: date) -> SafeString:
    """Minutes recorded (blue) and uploaded (green) per day, a bar each day from `first`
    to `last`, days without any included: an SVG needing no script or style."""
    by_day = {u.period: u for u in rows}
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    most = max((u.recorded_ms + u.uploaded_ms for u in rows), default=0) or 1
    bars = []
    for n, day in enumerate(days):
        u = by_day.get(day) or usage.Usage(workspace="", period=day)
        recorded = round(CHART_HEIGHT * u.recorded_ms / most)
        uploaded = round(CHART_HEIGHT * u.uploaded_ms / most)
        title = (
            f"{day.isoformat()}: {usage.minutes(u.recorded_ms)} min recorded, {usage.minutes(u.uploaded_ms)} uploaded"
        )
        x = n * (BAR_WIDTH + 2)
        bars.append(format_html(
            '<g><title>{}</title><rect x="{}" y="0" width="{}" height="{}" fill="#f3f4f6"/>'
            '<rect x="{}" y="{}" width="{}" height="{}" fill="#2563eb"/>'
            '<rect x="{}" y="{}" width="{}" height="{}" fill="#16a34a"/></g>',
            title, x, BAR_WIDTH, CHART_HEIGHT,
            x, CHART_HEIGHT - recorded, BAR_WIDTH, recorded,
            x, CHART_HEIGHT - recorded - uploaded, BAR_WIDTH, uploaded,
        ))
    width = len(days) * (BAR_WIDTH + 2)
    return format_html(
        '<svg class="usage-chart" role="img" aria-label="Minutes recorded and uploaded per day, {} to {} '
        '(most in a day: {} min)" width="{}" height="{}" viewBox="0 0 {} {}">{}</svg>'
        "<p>Blue: recorded live; green: uploaded. Hover a day for its minutes.</p>",
        first.isoformat(), last.isoformat(), usage.minutes(most if rows else 0), width, CHART_HEIGHT, width,
        CHART_HEIGHT, format_html_join("", "{}", ((bar,) for bar in bars)),
    )


@admin.register(Workspace)
class WorkspaceAdmin(workspaces_admin.WorkspaceAdmin):
    """The workspace with its usage: the last 12 months and 31 days, and CSV of all time."""

    readonly_fields = ["usage_tables"]
    actions = ["purge_now"]

    @admin.action(description="Delete meetings past the retention now")
    def purge_now(self, request: HttpRequest, queryset: QuerySet[Workspace]) -> None:
        for workspace in queryset:
            purged = jobs.purge_expired(workspaces=Workspace.objects.filter(pk=workspace.pk))
            audit.record("admin_purge_expired", actor=request.user, workspace=workspace, target=workspace,
                         meetings=purged)
            self.message_user(request, f"{workspace.name}: {purged} meeting(s) past the retention deleted.")

    def get_fieldsets(self, request: HttpRequest, obj: Workspace | None = None) -> Any:
        fieldsets: list[Any] = [
            (None, {"fields": ["name", "slug", "language", "retention_days", "accept_tasks"]})
        ]
        return fieldsets if obj is None else [*fieldsets, ("Usage", {"fields": ["usage_tables"]})]

    @admin.display(description="Usage")
    def usage_tables(self, obj: Workspace) -> SafeString:
        today = timezone.localdate()
        month = today.year * 12 + today.month - 1 - 11  # 11 months back, counted from year 0
        csv_url = reverse("admin:workspaces_workspace_usage", args=[obj.pk])
        first_day = today - timedelta(days=30)
        days = usage.usage_list(workspaces=[obj], since=first_day, by="day")
        return format_html(
            "<p>By month, the last 12 months</p>{}<p>By day, the last 31 days</p>{}{}"
            '<p>All time as CSV: <a href="{}?by=month">by month</a>, <a href="{}?by=day">by day</a></p>',
            usage_table(usage.usage_list(workspaces=[obj], since=date(month // 12, month % 12 + 1, 1)), "month"),
            usage_chart(days, first_day, today), usage_table(days, "day"),
            csv_url, csv_url,
        )

    def get_urls(self) -> list[URLPattern]:
        csv = path("<path:object_id>/usage.csv", self.admin_site.admin_view(self.usage_csv),
                   name="workspaces_workspace_usage")
        return [csv, *super().get_urls()]

    def usage_csv(self, request: HttpRequest, object_id: str) -> HttpResponse:
        workspace = self.get_object(request, object_id)
        if workspace is None:
            raise Http404
        if not self.has_view_permission(request, workspace):
            raise PermissionDenied
        by: usage.Period = "day" if request.GET.get("by") == "day" else "month"
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="usage-{workspace.slug}-by-{by}.csv"'
        usage.write_csv(usage.usage_list(workspaces=[workspace], by=by), response, by=by)
        return response
