"""The webhooks page of a workspace (admins): endpoints, and the log of deliveries."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.pages import is_partial, page, render, submit
from workspaces.navigation import remember_workspace

from . import selectors, services
from .forms import EndpointForm

LOG_SIZE = 50


@page
@require_http_methods(["GET", "POST"])
def webhooks(request: HttpRequest, workspace_id: int) -> HttpResponse:
    membership = selectors.admin_membership_get(user=request.user, workspace_id=workspace_id)
    remember_workspace(request, workspace_id)
    form = EndpointForm(request.POST or None)
    endpoint = submit(form, lambda data: services.endpoint_create(membership=membership, **data))
    if endpoint is not None:
        messages.success(request, f"Webhook added. Verify its requests with the secret shown for {endpoint.url}.")
        return redirect("integrations:webhooks", workspace_id=workspace_id)
    context = {
        "section": "webhooks",
        "workspace": membership.workspace,
        "endpoints": selectors.endpoint_list(membership=membership),
        "deliveries": selectors.delivery_list(membership=membership)[:LOG_SIZE],
        "form": form,
    }
    return render(request, "integrations/webhooks.html", context, status=400 if form.errors else 200)


@page
@require_GET
def deliveries(request: HttpRequest, workspace_id: int) -> HttpResponse:
    """The log alone, for the page's refresh."""
    membership = selectors.admin_membership_get(user=request.user, workspace_id=workspace_id)
    context = {"deliveries": selectors.delivery_list(membership=membership)[:LOG_SIZE]}
    return render(request, "integrations/partials/deliveries.html", context)


@page
@require_POST
def endpoint_delete(request: HttpRequest, workspace_id: int, endpoint_id: int) -> HttpResponse:
    membership = selectors.admin_membership_get(user=request.user, workspace_id=workspace_id)
    endpoint = selectors.endpoint_get(membership=membership, endpoint_id=endpoint_id)
    services.endpoint_delete(endpoint=endpoint, membership=membership)
    if is_partial(request):
        return HttpResponse("")
    messages.success(request, "Webhook removed.")
    return redirect("integrations:webhooks", workspace_id=workspace_id)


@page
@require_POST
def endpoint_enable(request: HttpRequest, workspace_id: int, endpoint_id: int) -> HttpResponse:
    membership = selectors.admin_membership_get(user=request.user, workspace_id=workspace_id)
    endpoint = selectors.endpoint_get(membership=membership, endpoint_id=endpoint_id)
    endpoint = services.endpoint_enable(endpoint=endpoint, membership=membership)
    if is_partial(request):
        return render(
            request,
            "integrations/partials/endpoint_row.html",
            {"endpoint": endpoint, "workspace": membership.workspace},
        )
    messages.success(request, "Webhook turned back on.")
    return redirect("integrations:webhooks", workspace_id=workspace_id)
