"""HTMX pages for meetings and tasks."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from workspaces.selectors import workspace_list


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "meetings/home.html", {"workspaces": workspace_list(user=request.user)})
