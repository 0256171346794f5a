"""Ask Mina's index of each meeting, for operators: where it stands, and building it again."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts import audit

from .models import MeetingIndex
from .services import index_request


@admin.register(MeetingIndex)
class MeetingIndexAdmin(admin.ModelAdmin):
    list_display = ["meeting", "workspace", "status", "progress", "passages", "updated_at"]
    list_filter = ["status", "workspace"]
    search_fields = ["meeting__title", "workspace__name"]
    list_select_related = ["meeting", "workspace"]
    readonly_fields = ["meeting", "workspace", "status", "progress", "passages", "error", "updated_at"]
    actions = ["reindex"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made by indexing, never by hand

    @admin.action(description="Index again (after a failure, or to pick up a new embedder)")
    def reindex(self, request: HttpRequest, queryset: QuerySet[MeetingIndex]) -> None:
        count = 0
        for index in queryset.select_related("meeting", "workspace"):
            index_request(meeting_id=index.meeting_id)
            audit.record("admin_reindex", actor=request.user, workspace=index.workspace, target=index.meeting)
            count += 1
        self.message_user(request, f"{count} meeting(s) queued for indexing.", messages.SUCCESS)
