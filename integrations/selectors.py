"""Reads, scoped to a workspace the user administers (webhooks are admins' business:
their addresses and secrets are not for every member)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from core.errors import NotFound
from workspaces.models import Membership, Role
from workspaces.selectors import membership_get

from .models import Delivery, Endpoint


def admin_membership_get(*, user: Any, workspace_id: int) -> Membership:
    """Another workspace is NotFound; a member below admin, Forbidden."""
    return membership_get(user=user, workspace_id=workspace_id, min_role=Role.ADMIN)


def endpoint_list(*, membership: Membership) -> QuerySet[Endpoint]:
    return Endpoint.objects.filter(workspace=membership.workspace).order_by("id")


def endpoint_get(*, membership: Membership, endpoint_id: int) -> Endpoint:
    endpoint = Endpoint.objects.filter(workspace=membership.workspace, pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound("Webhook endpoint not found.")
    return endpoint


def delivery_list(*, membership: Membership, endpoint: Endpoint | None = None) -> QuerySet[Delivery]:
    deliveries = Delivery.objects.filter(endpoint__workspace=membership.workspace).select_related("endpoint")
    return deliveries.filter(endpoint=endpoint) if endpoint is not None else deliveries
