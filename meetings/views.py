"""HTMX pages for meetings and tasks (the meeting room and the list of meetings, which
show what was said, are transcription's)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from accounts.models import CalendarFeed
from accounts.services import calendar_feed_get, calendar_feed_renew
from core.errors import NotFound
from core.pages import (
    invalid_form,
    is_partial,
    page,
    push_clean_url,
    render,
    safe_next,
    submit,
)
from workspaces.models import Membership, Role
from workspaces.navigation import current_workspace_id
from workspaces.selectors import member_list, membership_get, membership_list

from . import calendar, followup, selectors, services
from .forms import (
    DecisionFilterForm,
    DoneProposalForm,
    MeetingForm,
    ParticipantForm,
    TaskEditForm,
    TaskReviewForm,
    TaskStatusFilterForm,
    TaskStatusForm,
)
from .models import Meeting, Participant, Task

TASKS_PER_PAGE = 50
DECISIONS_PER_PAGE = 50
SUGGESTIONS_SHOWN = 50


@page
def home(request: HttpRequest) -> HttpResponse:
    workspace_id = current_workspace_id(request)
    if workspace_id is None:
        return redirect("workspaces:create")
    return redirect("meetings:list", workspace_id=workspace_id)


@page
@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest, workspace_id: int) -> HttpResponse:
    membership = membership_get(user=request.user, workspace_id=workspace_id, min_role=Role.MEMBER)
    form = MeetingForm(request.POST or None, initial={"language": membership.workspace.language})
    meeting = submit(
        form,
        lambda data: services.meeting_create(
            membership=membership, title=data["title"], language=data["language"] or None, series=data["series"]
        ),
    )
    if meeting is not None:
        return redirect("meetings:detail", meeting_id=meeting.id)
    context = {
        "section": "meetings", "workspace": membership.workspace, "form": form,
        "series_names": selectors.series_names(workspace=membership.workspace),
    }
    return render(request, "meetings/new.html", context, status=400 if form.is_bound else 200)


@page
@require_POST
def meeting_end(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting, membership = selectors.meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
    services.meeting_end(meeting=meeting, membership=membership)
    if is_partial(request):  # the room: the meeting socket brings the new status and the progress
        return HttpResponse(status=204)
    messages.success(request, "Meeting ended. Mina is now preparing the full transcript and the summary.")
    return redirect("meetings:detail", meeting_id=meeting.id)


def _back_to(meeting: Meeting, anchor: str = "") -> HttpResponse:
    return redirect(reverse("meetings:detail", args=[meeting.id]) + (f"#{anchor}" if anchor else ""))


@page
@require_POST
def participant_rename(request: HttpRequest, meeting_id: int, participant_id: int) -> HttpResponse:
    """A speaker named (POST `user`, a member's id, or `name`): in the list, and in every
    line they said; the tasks of their old label follow."""
    meeting, membership = selectors.meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
    participant = selectors.participant_get(meeting=meeting, participant_id=participant_id)
    form = ParticipantForm(request.POST, workspace=meeting.workspace)
    renamed = submit(
        form, lambda data: services.participant_rename(participant=participant, membership=membership, **data)
    )
    if renamed is None:
        return invalid_form(request, form)
    if not is_partial(request):
        messages.success(request, f"Renamed to {renamed.name}.")
        return _back_to(meeting, f"participant-{renamed.id}")
    response = _participant(request, meeting, membership, renamed, saved=True)
    return trigger_client_event(response, "mina:renamed", {"participant": renamed.id, "name": renamed.name})


@page
@require_POST
def participant_suggestion(request: HttpRequest, meeting_id: int, participant_id: int) -> HttpResponse:
    """"Not them": the name the conversation suggested for a speaker is turned down."""
    meeting, membership = selectors.meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
    participant = selectors.participant_get(meeting=meeting, participant_id=participant_id)
    participant = services.participant_suggestion_dismiss(participant=participant, membership=membership)
    if not is_partial(request):
        return _back_to(meeting, f"participant-{participant.id}")
    return _participant(request, meeting, membership, participant)


def _participant(
    request: HttpRequest, meeting: Meeting, membership: Membership, participant: Participant, *, saved: bool = False
) -> HttpResponse:
    context = {
        "meeting": meeting, "p": participant, "me": membership, "can_correct": True, "saved": saved,
        "members": member_list(workspace=meeting.workspace),
    }
    return render(request, "meetings/partials/participant.html", context)


@page
def task_list(request: HttpRequest) -> HttpResponse:
    filters = TaskStatusFilterForm(request.GET)
    status = filters.cleaned_data.get("status", "") if filters.is_valid() else ""
    tasks = selectors.my_task_list(user=request.user, status=status)
    page_obj = Paginator(tasks, TASKS_PER_PAGE).get_page(request.GET.get("page"))
    memberships = {m.workspace_id: m for m in membership_list(user=request.user)}
    rows = [selectors.task_row(task, memberships[task.workspace_id]) for task in page_obj]
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
    suggestions = selectors.my_suggestion_list(user=request.user)[:SUGGESTIONS_SHOWN]
    context["suggestions"] = [selectors.task_row(task, memberships[task.workspace_id]) for task in suggestions]
    context["calendar_url"] = _calendar_url(request, calendar_feed_get(user=request.user))
    return render(request, "meetings/tasks.html", context)


def _calendar_url(request: HttpRequest, feed: CalendarFeed) -> str:
    return request.build_absolute_uri(reverse("meetings:calendar", args=[feed.token]))


@page
@require_POST
def calendar_renew(request: HttpRequest) -> HttpResponse:
    calendar_feed_renew(user=request.user)
    messages.success(request, "Your calendar has a new link: the old one no longer works. Subscribe to the new one.")
    return redirect("meetings:tasks")


@page(login=False)
@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The member's tasks due and meetings as ICS, for a calendar app (no sign-in: the
    link is the key)."""
    user = calendar.feed_owner(token)
    if user is None:
        raise NotFound("No calendar at this address (its link may have been renewed).")
    site = request.build_absolute_uri("/").rstrip("/")
    response = HttpResponse(calendar.calendar_ics(user=user, site=site), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="mina.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


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
        "row": selectors.task_row(updated, membership),
        "members": member_list(workspace=task.workspace),
        "statuses": Task.Status.choices,
        "saved": True,
    }
    return render(request, "meetings/partials/task_row.html", context)


@page
@require_POST
def task_review(request: HttpRequest, task_id: int) -> HttpResponse:
    """Accept or dismiss a suggested task (or take a dismissal back) in place."""
    task, membership = selectors.task_get(user=request.user, task_id=task_id)
    form = TaskReviewForm(request.POST)
    updated = submit(
        form, lambda data: services.task_update(task=task, membership=membership, review=data["review"])
    )
    if updated is None:
        return invalid_form(request, form)
    if not is_partial(request):
        return redirect(safe_next(request, _task_home(updated)))
    context: dict[str, Any] = {
        "row": selectors.task_row(updated, membership), "next_url": safe_next(request, _task_home(updated)),
    }
    if form.cleaned_data["row"] == "mine":
        return render(request, "meetings/partials/my_suggestion_row.html", context)
    context |= {"members": member_list(workspace=task.workspace), "statuses": Task.Status.choices}
    return render(request, "meetings/partials/task_row.html", context)


@page
@require_POST
def done_proposal(request: HttpRequest, meeting_id: int, proposal_id: int) -> HttpResponse:
    """Close a carried-over task that this meeting said was done, or keep it open."""
    meeting, membership = selectors.meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
    proposal = followup.done_proposal_get(meeting=meeting, proposal_id=proposal_id, membership=membership)
    form = DoneProposalForm(request.POST)
    decided = submit(
        form, lambda data: followup.done_proposal_decide(proposal=proposal, membership=membership, done=data["done"])
    )
    if decided is None:
        return invalid_form(request, form)
    if not is_partial(request):
        return redirect(reverse("meetings:detail", args=[meeting.id]) + "#carry-over-panel")
    context = {"meeting": meeting, "carry_over": followup.carry_over(meeting=meeting), "can_follow_up": True}
    return render(request, "meetings/partials/carry_over_panel.html", context)


@page
def decision_list(request: HttpRequest, workspace_id: int) -> HttpResponse:
    """The workspace's decisions log: every decision a summary stated, newest first, searchable."""
    membership = membership_get(user=request.user, workspace_id=workspace_id)
    filters = DecisionFilterForm(request.GET)
    data = filters.cleaned_data if filters.is_valid() else {}
    decisions = followup.decision_list(
        workspace_ids=[membership.workspace_id], search=data.get("q") or "", series_id=data.get("series")
    )
    page_obj = Paginator(decisions, DECISIONS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "section": "decisions", "workspace": membership.workspace, "filters": filters, "page_obj": page_obj,
        "search": data.get("q") or "",
    }
    if is_partial(request):
        return push_clean_url(request, render(request, "meetings/partials/decision_results.html", context))
    return render(request, "meetings/decisions.html", context)


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
    next_url = safe_next(request, reverse("meetings:tasks"))
    context = {"row": selectors.task_row(updated, membership), "next_url": next_url}
    return render(request, "meetings/partials/my_task_row.html", context)


def _task_home(task: Task) -> str:
    if task.meeting_id:
        return reverse("meetings:detail", args=[task.meeting_id]) + f"#task-{task.id}"
    return reverse("meetings:tasks")
