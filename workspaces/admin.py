"""Admin of workspaces' members and invitations. Workspaces themselves are registered by
transcription/admin.py, which adds their usage (minutes recorded and transcribed)."""

from django.contrib import admin

from .models import Invitation, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "language", "retention_days", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "workspace__name"]
    autocomplete_fields = ["user", "workspace"]
    list_select_related = ["user", "workspace"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "workspace", "role", "invited_by", "expires_at", "accepted_at"]
    list_filter = ["role"]
    search_fields = ["email", "workspace__name"]
    autocomplete_fields = ["workspace", "invited_by"]
    list_select_related = ["workspace", "invited_by"]
    readonly_fields = ["token"]
