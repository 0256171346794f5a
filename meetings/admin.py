"""Admin of participants, summaries and tasks. Meetings are transcription's to show
(with their transcript and how each live stream went): transcription/admin.py."""

from django.contrib import admin

from .models import Participant, Summary, Task


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
    list_display = [
        "title", "workspace", "meeting", "assignee", "owner_name", "due_date", "status", "review", "confidence",
        "edited",
    ]
    list_filter = ["status", "review", "edited", "workspace"]
    search_fields = ["title", "owner_name", "assignee__email", "meeting__title"]
    raw_id_fields = ["meeting", "assignee", "created_by", "source_segment"]
    autocomplete_fields = ["workspace"]
    list_select_related = ["workspace", "meeting", "assignee"]
