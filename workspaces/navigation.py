"""The workspace a person is looking at, remembered in the session, and the navigation
every full page shows (a context processor: pages need not ask for it)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from core.pages import is_partial

from .selectors import membership_list

SESSION_WORKSPACE = "workspace_id"


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The user's workspaces and the current one, for the menu of a full page (an HTMX
    fragment has no menu: no query for it)."""
    if is_partial(request) or not request.user.is_authenticated:
        return {}
    memberships = list(membership_list(user=request.user))
    wanted = request.session.get(SESSION_WORKSPACE)
    current = next((m for m in memberships if m.workspace_id == wanted), None)
    return {"nav_memberships": memberships, "nav_current": current or (memberships[0] if memberships else None)}


def remember_workspace(request: HttpRequest, workspace_id: int) -> None:
    if request.session.get(SESSION_WORKSPACE) != workspace_id:  # unchanged: no session write
        request.session[SESSION_WORKSPACE] = workspace_id


def current_workspace_id(request: HttpRequest) -> int | None:
    """The workspace of the session when the user is still in it, else their first one."""
    ids = [m.workspace_id for m in membership_list(user=request.user)]
    wanted = request.session.get(SESSION_WORKSPACE)
    return wanted if wanted in ids else (ids[0] if ids else None)
