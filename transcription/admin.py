from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from . import jobs
from .models import Recording, Segment


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin):
    list_display = [
        "id", "meeting", "participant", "source", "status", "progress", "attempts",
        "duration_ms", "created_at",
    ]
    list_filter = ["status", "source"]
    search_fields = ["meeting__title", "participant__name", "original_name", "error"]
    raw_id_fields = ["meeting", "participant", "uploaded_by"]
    list_select_related = ["meeting", "participant"]
    readonly_fields = ["stream_id", "stats", "error", "attempts", "progress", "created_at", "updated_at"]
    actions = ["retranscribe"]

    @admin.action(description="Re-transcribe the selected recordings")
    def retranscribe(self, request: HttpRequest, queryset: QuerySet[Recording]) -> None:
        count = 0
        for recording in queryset.select_related("meeting"):
            if recording.file:
                jobs.retranscribe(recording=recording)
                count += 1
        self.message_user(request, f"{count} recording(s) queued for transcription.", messages.SUCCESS)


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["id", "meeting", "participant", "kind", "start_ms", "end_ms", "text", "edited"]
    list_filter = ["kind", "edited"]
    search_fields = ["text", "meeting__title"]
    raw_id_fields = ["meeting", "recording", "participant"]
    list_select_related = ["meeting", "participant"]
