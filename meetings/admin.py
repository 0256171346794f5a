from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from transcription.admin import stats_table
from transcription.models import Recording, Segment

from .models import Meeting, Participant, Summary, Task


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0
    raw_id_fields = ["user"]


class TaskInline(admin.TabularInline):
    model = Task
    extra = 0
    fields = ["title", "assignee", "owner_name", "due_date", "status"]
    raw_id_fields = ["assignee"]
    show_change_link = True


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
    list_display = ["title", "workspace", "organizer", "status", "started_at", "ended_at", "created_at"]
    list_filter = ["status", "workspace"]
    search_fields = ["title", "workspace__name", "organizer__email"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["workspace", "organizer"]
    list_select_related = ["workspace", "organizer"]
    readonly_fields = ["created_at", "live_streams"]
    inlines = [ParticipantInline, TaskInline, SegmentInline]

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


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["name", "meeting", "user"]
    search_fields = ["name", "meeting__title", "user__email"]
    raw_id_fields = ["meeting", "user"]
    list_select_related = ["meeting", "user"]


@admin.register(Summary)
class SummaryAdmin(admin.ModelAdmin):
    list_display = ["meeting", "engine", "model", "updated_at"]
    list_filter = ["engine"]
    search_fields = ["meeting__title", "overview"]
    raw_id_fields = ["meeting"]
    list_select_related = ["meeting"]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["title", "workspace", "meeting", "assignee", "owner_name", "due_date", "status", "edited"]
    list_filter = ["status", "edited", "workspace"]
    search_fields = ["title", "owner_name", "assignee__email", "meeting__title"]
    raw_id_fields = ["meeting", "assignee", "created_by", "source_segment"]
    autocomplete_fields = ["workspace"]
    list_select_related = ["workspace", "meeting", "assignee"]
