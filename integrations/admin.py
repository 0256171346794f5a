"""Operators see every endpoint and the log of its deliveries, and the mail sent to members."""

from django.contrib import admin

from .models import Delivery, Endpoint, OutgoingMail


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "workspace", "format", "is_active", "consecutive_failures", "created_at"]
    list_filter = ["is_active", "format"]
    search_fields = ["url", "workspace__name"]
    raw_id_fields = ["workspace", "created_by"]
    list_select_related = ["workspace"]
    readonly_fields = ["consecutive_failures", "disabled_reason"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "event",
        "endpoint",
        "status",
        "attempts",
        "response_code",
        "duration_ms",
        "created_at",
        "delivered_at",
    ]
    list_filter = ["status", "event"]
    search_fields = ["endpoint__url", "event_id"]
    list_select_related = ["endpoint"]
    raw_id_fields = ["endpoint"]
    readonly_fields = [
        "event_id",
        "event",
        "body",
        "status",
        "attempts",
        "response_code",
        "duration_ms",
        "error",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
        "delivered_at",
    ]


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    """A row left "sending" is a mail whose job died while sending it: it may have gone, so
    Mina does not send it again (deleting a digest's row lets the next run queue it again)."""

    list_display = ["id", "kind", "key", "user", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["user__email", "key"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    readonly_fields = ["kind", "user", "key", "status", "attempts", "error", "created_at", "next_attempt_at", "sent_at"]
