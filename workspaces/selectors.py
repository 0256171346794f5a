"""Reads, always scoped to the workspaces the user belongs to."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from mina.errors import Forbidden, NotFound

from .models import Membership, Role, Workspace


def workspace_list(*, user: Any) -> QuerySet[Workspace]:
    return Workspace.objects.filter(memberships__user=user).order_by("name")


def membership_get(*, user: Any, workspace_id: int, min_role: str = Role.VIEWER) -> Membership:
    """The user's membership, or NotFound (not a member) / Forbidden (role too low)."""
    if not getattr(user, "is_authenticated", False):
        raise NotFound("Workspace not found.")
    membership = (
        Membership.objects.select_related("workspace")
        .filter(user=user, workspace_id=workspace_id)
        .first()
    )
    if membership is None:
        raise NotFound("Workspace not found.")
    require_role(membership, min_role)
    return membership


def require_role(membership: Membership, min_role: str) -> None:
    if not membership.has_role(min_role):
        raise Forbidden(
            f"This needs the {Role(min_role).label.lower()} role or higher in "
            f"{membership.workspace.name}; ask a workspace admin."
        )


def member_list(*, workspace: Workspace) -> QuerySet[Membership]:
    return workspace.memberships.select_related("user").order_by("user__email")
