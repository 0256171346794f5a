"""The operations page in the admin, /admin/ops/: what is live, queued, failed and stored,
each section refreshing itself with HTMX; and "retry" for a failed job, audited like the
admin's actions.

Staff only. Anyone else gets 404, signed in or not: the page is not even hinted at (the
rest of the admin sends strangers to its sign-in page).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts import audit
from ask.models import MeetingIndex
from ask.services import index_request
from integrations.mail import mail_retry
from integrations.services import delivery_retry
from meetings.models import Meeting
from transcription import jobs
from transcription.admin import audit_operator
from transcription.models import Recording

from . import ops, ops_storage

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]

# Each section: what it shows, read now, and how often the page asks for it again (seconds).
SECTIONS: dict[str, tuple[Callable[[], dict[str, Any]], int]] = {
    "health": (lambda: {"components": ops.components()}, 10),
    "live": (lambda: {"meetings": ops.live_meetings()}, 5),
    "queues": (lambda: {"queues": ops.queues()}, 5),
    "failures": (lambda: {"failures": ops.failures()}, 10),
    "storage": (lambda: {"storage": ops_storage.storage(), "tables": ops_storage.tables()}, 30),
    "capacity": (lambda: {"capacity": ops.capacity()}, 5),
}
# Run on the page's first render too; the health checks wait for a job runner's answer,
# so the page asks for them as soon as it has loaded instead.
FIRST_RENDER = ["live", "queues", "failures", "storage", "capacity"]
# Who may retry what: the permission the admin's own actions on it need.
RETRY_PERMISSIONS = {
    "recording": "transcription.change_recording",
    "meeting": "meetings.change_meeting",
    "index": "meetings.change_meeting",
    "delivery": "integrations.change_delivery",
    "mail": "integrations.change_outgoingmail",
}


def staff_only(view: View) -> View:
    """Outermost: whatever the method, a stranger learns nothing (not even a 405)."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not admin.site.has_permission(request):  # active staff
            raise Http404
        return view(request, *args, **kwargs)

    return guarded


def _section(name: str) -> dict[str, Any]:
    """One section's context; a source that fails is named there, not a broken page."""
    read, every = SECTIONS[name]
    try:
        found = read()
    except Exception as exc:
        logger.exception("operations page: section %s not read", name)
        found = {"failed": f"{type(exc).__name__}: {exc}"[:300]}
    return {"section": name, "every": every, **found}


@never_cache
@staff_only
@require_GET
def page(request: HttpRequest) -> HttpResponse:
    context = {
        **admin.site.each_context(request),
        "title": "Operations",
        "sections": {
            "health": {"section": "health", "every": SECTIONS["health"][1], "pending": True},
            **{name: _section(name) for name in FIRST_RENDER},
        },
        "can_retry": _can_retry(request),
    }
    return render(request, "mina/ops/page.html", context)


@never_cache
@staff_only
@require_GET
def section(request: HttpRequest, name: str) -> HttpResponse:
    if name not in SECTIONS:
        raise Http404
    context = {"s": _section(name), "can_retry": _can_retry(request)}
    return render(request, f"mina/ops/_{name}.html", context)


def _can_retry(request: HttpRequest) -> list[str]:
    """The kinds of failure this operator may retry."""
    return [kind for kind, permission in RETRY_PERMISSIONS.items() if request.user.has_perm(permission)]


@staff_only
@require_POST
def retry(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    if kind not in RETRY_PERMISSIONS:
        raise Http404
    if not request.user.has_perm(RETRY_PERMISSIONS[kind]):
        raise PermissionDenied
    with transaction.atomic():
        queued, note = RETRIES[kind](request, pk)
    messages.add_message(request, messages.SUCCESS if queued else messages.WARNING, note)
    return redirect("admin-ops")


def _retry_recording(request: HttpRequest, pk: int) -> tuple[bool, str]:
    recording = (
        Recording.objects.filter(pk=pk, status=Recording.Status.FAILED)
        .exclude(file="")
        .select_related("meeting__workspace")
        .first()
    )
    if recording is None:
        return False, f"Recording {pk} has not failed (any more): nothing to retry."
    jobs.retranscribe(recording=recording)
    audit_operator(request, "admin_retranscribe", recording.meeting, recording=recording.pk, page="operations")
    return True, f"Recording {pk} is queued for transcription again."


def _retry_meeting(request: HttpRequest, pk: int) -> tuple[bool, str]:
    meeting = Meeting.objects.filter(pk=pk, status=Meeting.Status.FAILED).select_related("workspace").first()
    if meeting is None:
        return False, f"Meeting {pk} has not failed (any more): nothing to retry."
    jobs.meeting_retry(meeting=meeting)
    audit_operator(request, "admin_retry_meeting", meeting, page="operations")
    return True, f"Meeting {pk}'s job is queued again."


def _retry_index(request: HttpRequest, pk: int) -> tuple[bool, str]:
    index = (
        MeetingIndex.objects.filter(meeting_id=pk, status=MeetingIndex.Status.FAILED)
        .select_related("meeting__workspace")
        .first()
    )
    if index is None:
        return False, f"Ask Mina's index of meeting {pk} has not failed (any more): nothing to retry."
    index_request(meeting_id=pk)
    audit_operator(request, "admin_reindex", index.meeting, page="operations")
    return True, f"Ask Mina's index of meeting {pk} is queued again."


def _retry_delivery(request: HttpRequest, pk: int) -> tuple[bool, str]:
    delivery = delivery_retry(delivery_id=pk)
    if delivery is None:
        return False, f"Webhook delivery {pk} has not failed (any more): nothing to retry."
    audit.record("admin_redeliver", actor=request.user, workspace=delivery.endpoint.workspace, target=delivery,
                 page="operations")
    return True, f"Webhook delivery {pk} is queued again, from its first attempt."


def _retry_mail(request: HttpRequest, pk: int) -> tuple[bool, str]:
    mail = mail_retry(mail_id=pk)
    if mail is None:
        return False, f"Mail {pk} has not failed (any more): nothing to retry."
    audit.record("admin_resend_mail", actor=request.user, target=mail, page="operations")
    return True, f"Mail {pk} is queued again, from its first attempt."


RETRIES: dict[str, Callable[[HttpRequest, int], tuple[bool, str]]] = {
    "recording": _retry_recording,
    "meeting": _retry_meeting,
    "index": _retry_index,
    "delivery": _retry_delivery,
    "mail": _retry_mail,
}

urlpatterns = [
    path("", page, name="admin-ops"),
    path("<slug:name>/", section, name="admin-ops-section"),
    path("retry/<slug:kind>/<int:pk>/", retry, name="admin-ops-retry"),
]
