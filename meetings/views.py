"""HTMX pages for meetings and tasks."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

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
from workspaces.models import Membership, Role
from workspaces.selectors import member_list, membership_get, membership_list

from . import selectors, services
from .forms import MeetingFilterForm, MeetingForm, TaskEditForm, TaskStatusFilterForm, TaskStatusForm
from .models import Meeting, Task
from .summaries import transcript_segments

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
    return render(request, "meetings/detail.html", _meeting_context(meeting, membership))


def _meeting_context(meeting: Meeting, membership: Membership) -> dict[str, Any]:
    rows = [_task_row(task, membership) for task in selectors.meeting_task_list(meeting=meeting)]
    can_edit = selectors.can_edit_meeting(meeting, membership)
    return {
        "section": "meetings",
        "workspace": meeting.workspace,
        "meeting": meeting,
        "me": membership,
        "participants": selectors.participant_list(meeting=meeting),
        "segments": transcript_segments(meeting),
        "summary": selectors.summary_get(meeting=meeting),
        "task_rows": rows,
        "members": list(member_list(workspace=meeting.workspace)) if any(r["editable"] for r in rows) else [],
        "statuses": Task.Status.choices,
        "can_end": can_edit and meeting.status == Meeting.Status.LIVE,
        "can_record": membership.has_role(Role.MEMBER) and meeting.is_liveable,
    }


def _task_row(task: Task, membership: Membership) -> dict[str, Any]:
    return {"task": task, "editable": selectors.can_edit_task(task, membership)}


@page
@require_POST
def meeting_end(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting, membership = selectors.meeting_get(user=request.user, meeting_id=meeting_id, min_role=Role.MEMBER)
    services.meeting_end(meeting=meeting, membership=membership)
    messages.success(request, "Meeting ended. Mina is now preparing the full transcript and the summary.")
    return redirect("meetings:detail", meeting_id=meeting.id)


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
