"""HTMX pages for meetings and tasks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.core.handlers.asgi import ASGIRequest
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from accounts import audit
from mina.errors import Invalid, NotFound
from mina.pages import (
    current_workspace_id,
    invalid_form,
    is_partial,
    page,
    push_clean_url,
    remember_workspace,
    render,
    safe_next,
    submit,
)
from mina.ratelimit import check, rate_for
from transcription import services as transcription_services
from transcription.selectors import segment_get
from workspaces.models import Membership, Role
from workspaces.selectors import member_list, membership_get, membership_list

from . import exports, selectors, services
from .forms import MeetingFilterForm, MeetingForm, TaskEditForm, TaskStatusFilterForm, TaskStatusForm
from .models import Meeting, Task
from .summaries import transcript_segments

if TYPE_CHECKING:
    from transcription.models import Segment

_FINISHED = (Meeting.Status.READY, Meeting.Status.FAILED)
MEETINGS_PER_PAGE = 20
TASKS_PER_PAGE = 50


@page
def home(request: HttpRequest) -> HttpResponse:
    workspace_id = current_workspace_id(request)
    if workspace_id is None:
        return redirect("workspaces:create")
    return redirect("meetings:list", workspace_id=workspace_id)


@page
def meeting_list(request: HttpRequest, workspace_id: int) -> HttpResponse:
    membership = membership_get(user=request.user, workspace_id=workspace_id)
    remember_workspace(request, workspace_id)
    filters = MeetingFilterForm(request.GET)
    meetings = selectors.meeting_search(user=request.user, workspace_id=workspace_id, **filters.filters())
    context = {
        "section": "meetings",
        "workspace": membership.workspace,
        "filters": filters,
        "page_obj": Paginator(meetings, MEETINGS_PER_PAGE).get_page(request.GET.get("page")),
        "can_create": membership.has_role(Role.MEMBER),
        "form": MeetingForm(),
    }
    if is_partial(request):
        return push_clean_url(request, render(request, "meetings/partials/meeting_results.html", context))
    return render(request, "meetings/list.html", context)


@page
@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest, workspace_id: int) -> HttpResponse:
    membership = membership_get(user=request.user, workspace_id=workspace_id, min_role=Role.MEMBER)
    form = MeetingForm(request.POST or None)
    meeting = submit(form, lambda data: services.meeting_create(membership=membership, title=data["title"]))
    if meeting is not None:
        return redirect("meetings:detail", meeting_id=meeting.id)
    context = {"section": "meetings", "workspace": membership.workspace, "form": form}
    return render(request, "meetings/new.html", context, status=400 if form.is_bound else 200)


@page
def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting, membership = selectors.meeting_get(user=request.user, meeting_id=meeting_id)
    remember_workspace(request, meeting.workspace_id)
    return render(request, "meetings/detail.html", _meeting_context(request, meeting, membership))


@page
@require_GET
def meeting_panels(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The parts of the meeting room that change once a meeting is processed, for the
    room to swap in (static/js/room.js): transcript, summary, tasks, participants."""
    meeting, membership = selectors.meeting_get(user=request.user, meeting_id=meeting_id)
    return render(request, "meetings/partials/room_panels.html", _meeting_context(request, meeting, membership))


def _meeting_context(request: HttpRequest, meeting: Meeting, membership: Membership) -> dict[str, Any]:
    rows = [_task_row(task, membership) for task in selectors.meeting_task_list(meeting=meeting)]
    can_edit = selectors.can_edit_meeting(meeting, membership)
    is_member = membership.has_role(Role.MEMBER)
    segments = transcript_segments(meeting)
    recordings = selectors.playable_recording_list(meeting=meeting)
    return {
        "section": "meetings",
        "workspace": meeting.workspace,
        "meeting": meeting,
        "me": membership,
        "participants": selectors.participant_list(meeting=meeting),
        "segments": segments,
        "transcript_kind": segments[0].kind if segments else "final",
        "recordings": recordings,
        "playable": {r.id for r in recordings},
        "summary": selectors.summary_get(meeting=meeting),
        "task_rows": rows,
        "members": list(member_list(workspace=meeting.workspace)) if any(r["editable"] for r in rows) else [],
        "statuses": Task.Status.choices,
        "can_end": can_edit and meeting.is_liveable,
        "can_record": is_member and meeting.is_liveable,
        "can_upload": is_member,
        "can_correct": is_member,
        "can_resummarize": is_member and bool(segments) and meeting.status in _FINISHED,
        "max_upload_mb": settings.MINA_MAX_UPLOAD_MB,
        # Live updates travel over WebSockets, which only the ASGI server (Daphne) speaks.
        "live_updates": isinstance(request, ASGIRequest),
    }


def _task_row(task: Task, membership: Membership) -> dict[str, Any]:
    return {"task": task, "editable": selectors.can_edit_task(task, membership)}


@page
@require_POST
def meeting_end(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting, membership = selectors.meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
    services.meeting_end(meeting=meeting, membership=membership)
    if is_partial(request):  # the room: the meeting socket brings the new status and the progress
        return HttpResponse(status=204)
    messages.success(request, "Meeting ended. Mina is now preparing the full transcript and the summary.")
    return redirect("meetings:detail", meeting_id=meeting.id)


# --- The meeting room: corrections, re-summarising, uploads, downloads -----------------


def _back_to(meeting: Meeting, anchor: str = "") -> HttpResponse:
    return redirect(reverse("meetings:detail", args=[meeting.id]) + (f"#{anchor}" if anchor else ""))


def _segment_context(meeting: Meeting, segment: Segment, membership: Membership) -> dict[str, Any]:
    playable = {r.id for r in selectors.playable_recording_list(meeting=meeting)}
    return {"meeting": meeting, "s": segment, "can_correct": membership.has_role(Role.MEMBER), "playable": playable}


@page
@require_http_methods(["GET", "POST"])
def segment_detail(request: HttpRequest, meeting_id: int, segment_id: int) -> HttpResponse:
    """One line of the transcript (GET), or its text corrected (POST `text`, member and up)."""
    min_role = Role.MEMBER if request.method == "POST" else Role.VIEWER
    meeting, membership = selectors.meeting_get(user=request.user, meeting_id=meeting_id, min_role=min_role)
    segment = segment_get(meeting=meeting, segment_id=segment_id)
    if request.method == "POST":
        text = request.POST.get("text", "")
        segment = transcription_services.segment_edit(segment=segment, membership=membership, text=text)
        if not is_partial(request):
            messages.success(request, "Correction saved.")
            return _back_to(meeting, f"segment-{segment.id}")
    return render(request, "meetings/partials/segment.html", _segment_context(meeting, segment, membership))


@page
@require_GET
def segment_edit_form(request: HttpRequest, meeting_id: int, segment_id: int) -> HttpResponse:
    """The form that corrects one line, in place of the line."""
    meeting, membership = selectors.meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
    segment = segment_get(meeting=meeting, segment_id=segment_id)
    return render(request, "meetings/partials/segment_form.html", _segment_context(meeting, segment, membership))


@page
@require_POST
def participant_rename(request: HttpRequest, meeting_id: int, participant_id: int) -> HttpResponse:
    """A speaker label renamed (POST `name`): in the list, and in every line they said."""
    meeting, membership = selectors.meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
    participant = selectors.participant_get(meeting=meeting, participant_id=participant_id)
    name = request.POST.get("name", "")
    participant = services.participant_rename(participant=participant, membership=membership, name=name)
    if not is_partial(request):
        messages.success(request, f"Renamed to {participant.name}.")
        return _back_to(meeting, f"participant-{participant.id}")
    context = {"meeting": meeting, "p": participant, "me": membership, "can_correct": True, "saved": True}
    response = render(request, "meetings/partials/participant.html", context)
    return trigger_client_event(response, "mina:renamed", {"participant": participant.id, "name": participant.name})


@page
@require_POST
def meeting_resummarize(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting, membership = selectors.meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
    services.meeting_resummarize(meeting=meeting, membership=membership)
    note = "Mina is writing the summary again from the corrected transcript. It updates here in a moment."
    if not is_partial(request):
        messages.success(request, note)
        return _back_to(meeting, "summary-panel")
    response = render(request, "meetings/partials/notice.html", {"note": note}, status=202)
    return trigger_client_event(response, "mina:refresh", {})


@page
@require_POST
def recording_upload(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """A recording uploaded to a meeting (multipart field `file`); it is transcribed next."""
    meeting, membership = selectors.meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
    check(f"upload:{request.user.pk}", rate_for("upload"))  # shared with the API's uploads
    upload = request.FILES.get("file")
    if upload is None:
        raise Invalid("Choose an audio file to upload.", fields={"file": ["This field is required."]})
    recording = transcription_services.upload_create(meeting=meeting, membership=membership, upload=upload)
    note = f"Uploaded “{recording.original_name}”. Mina is transcribing it; the transcript appears here when done."
    if not is_partial(request):
        messages.success(request, note)
        return _back_to(meeting)
    return render(request, "meetings/partials/notice.html", {"note": note}, status=201)


_EXPORTS = {
    "transcript.txt": ("text/plain", lambda m: exports.transcript_txt(transcript_segments(m))),
    "transcript.srt": ("application/x-subrip", lambda m: exports.transcript_srt(transcript_segments(m))),
    "transcript.vtt": ("text/vtt", lambda m: exports.transcript_vtt(transcript_segments(m))),
    "summary.md": ("text/markdown", lambda m: _summary_markdown(m)),
}


def _summary_markdown(meeting: Meeting) -> str:
    summary = selectors.summary_get(meeting=meeting)
    if summary is None:
        raise NotFound("This meeting has no summary yet.")
    return exports.summary_markdown(meeting, summary, selectors.meeting_task_list(meeting=meeting))


@page
@require_GET
def meeting_export(request: HttpRequest, meeting_id: int, name: str) -> HttpResponse:
    """Downloads: the transcript as TXT, SRT or WebVTT; the summary and tasks as Markdown."""
    meeting, _ = selectors.meeting_get(user=request.user, meeting_id=meeting_id)
    if name not in _EXPORTS:
        raise NotFound("There is no such download.")
    content_type, render_export = _EXPORTS[name]
    body = render_export(meeting)
    audit.record("export", actor=request.user, workspace=meeting.workspace, target=meeting, export=name)
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, exports.filename(meeting, name.split(".")[1]))
    return response


@page
def task_list(request: HttpRequest) -> HttpResponse:
    filters = TaskStatusFilterForm(request.GET)
    status = filters.cleaned_data.get("status", "") if filters.is_valid() else ""
    tasks = selectors.my_task_list(user=request.user, status=status)
    page_obj = Paginator(tasks, TASKS_PER_PAGE).get_page(request.GET.get("page"))
    memberships = {m.workspace_id: m for m in membership_list(user=request.user)}
    rows = [_task_row(task, memberships[task.workspace_id]) for task in page_obj]
    context = {
        "section": "tasks",
        "filters": filters,
        "page_obj": page_obj,
        "rows": rows,
        "status": status,
        "status_label": Task.Status(status).label if status else "",
    }
    if is_partial(request):
        return push_clean_url(request, render(request, "meetings/partials/my_task_results.html", context))
    return render(request, "meetings/tasks.html", context)


@page
@require_POST
def task_edit(request: HttpRequest, task_id: int) -> HttpResponse:
    """A task of a meeting edited in place: assignee, due date, status."""
    task, membership = selectors.task_get(user=request.user, task_id=task_id)
    form = TaskEditForm(request.POST, workspace=task.workspace)
    updated = submit(form, lambda data: services.task_update(task=task, membership=membership, **data))
    if updated is None:
        return invalid_form(request, form)
    if not is_partial(request):
        return redirect(_task_home(updated))
    context = {
        "row": _task_row(updated, membership),
        "members": member_list(workspace=task.workspace),
        "statuses": Task.Status.choices,
        "saved": True,
    }
    return render(request, "meetings/partials/task_row.html", context)


@page
@require_POST
def task_status(request: HttpRequest, task_id: int) -> HttpResponse:
    """Mark one of my tasks done (or open again) in place."""
    task, membership = selectors.task_get(user=request.user, task_id=task_id)
    form = TaskStatusForm(request.POST)
    updated = submit(form, lambda data: services.task_update(task=task, membership=membership, **data))
    if updated is None:
        return invalid_form(request, form)
    if not is_partial(request):
        return redirect(safe_next(request, reverse("meetings:tasks")))
    context = {"row": _task_row(updated, membership), "next_url": safe_next(request, reverse("meetings:tasks"))}
    return render(request, "meetings/partials/my_task_row.html", context)


def _task_home(task: Task) -> str:
    if task.meeting_id:
        return reverse("meetings:detail", args=[task.meeting_id]) + f"#task-{task.id}"
    return reverse("meetings:tasks")
