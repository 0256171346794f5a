"""Pages for workspaces: create, switch, members and invitations."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from core.languages import ENGLISH
from core.pages import invalid_form, is_partial, page, render, submit

from . import selectors, services
from .forms import GlossaryTermForm, InvitationForm, RoleForm, WorkspaceForm, WorkspaceSettingsForm
from .models import Membership, Role
from .navigation import remember_workspace


@page
@require_http_methods(["GET", "POST"])
def workspace_create(request: HttpRequest) -> HttpResponse:
    form = WorkspaceForm(request.POST or None)
    workspace = submit(
        form,
        lambda data: services.workspace_create(
            user=request.user, name=data["name"], language=data["language"] or ENGLISH
        ),
    )
    if workspace is not None:
        remember_workspace(request, workspace.id)
        return redirect("meetings:list", workspace_id=workspace.id)
    first = not selectors.membership_list(user=request.user).exists()
    return render(request, "workspaces/create.html", {"form": form, "first": first})


@page
@require_http_methods(["GET", "POST"])
def workspace_settings(request: HttpRequest, workspace_id: int) -> HttpResponse:
    """Name, language, what becomes of the tasks found, retention (admins and owners)."""
    membership = selectors.membership_get(user=request.user, workspace_id=workspace_id, min_role=Role.ADMIN)
    remember_workspace(request, workspace_id)
    workspace = membership.workspace
    initial = {f: getattr(workspace, f) for f in ("name", "language", "accept_tasks", "retention_days")}
    form = WorkspaceSettingsForm(request.POST or None, initial=initial)
    if submit(form, lambda data: services.workspace_update(membership=membership, **data)) is not None:
        messages.success(request, "Settings saved.")
        return redirect("workspaces:settings", workspace_id=workspace_id)
    context = {"section": "workspace-settings", "workspace": workspace, "form": form}
    return render(request, "workspaces/settings.html", context, status=400 if form.is_bound else 200)


@page
@require_POST
def workspace_switch(request: HttpRequest, workspace_id: int) -> HttpResponse:
    membership = selectors.membership_get(user=request.user, workspace_id=workspace_id)
    remember_workspace(request, membership.workspace_id)
    return redirect("meetings:list", workspace_id=membership.workspace_id)


@page
def member_list(request: HttpRequest, workspace_id: int) -> HttpResponse:
    membership = selectors.membership_get(user=request.user, workspace_id=workspace_id)
    remember_workspace(request, workspace_id)
    return render(request, "workspaces/members.html", _members_context(request, membership))


def sends_email() -> bool:
    """Whether mail leaves this server: without EMAIL_HOST it is only printed to the log."""
    return bool(settings.EMAIL_BACKEND != "django.core.mail.backends.console.EmailBackend")


def _members_context(request: HttpRequest, membership: Membership, form: InvitationForm | None = None) -> dict:
    is_admin = membership.has_role(Role.ADMIN)
    invitations = list(selectors.invitation_pending_list(workspace=membership.workspace)) if is_admin else []
    for invitation in invitations:
        invitation.link = request.build_absolute_uri(invitation.get_absolute_url())  # type: ignore[attr-defined]
    members = list(selectors.member_list(workspace=membership.workspace))
    owners = [m for m in members if m.role == Role.OWNER]
    return {
        "section": "members",
        "me": membership,
        "workspace": membership.workspace,
        "members": members,
        # The last owner cannot leave: don't offer it.
        "sole_owner": owners == [membership],
        "invitations": invitations,
        "form": form or InvitationForm(),
        "is_admin": is_admin,
        "roles": Role.choices,
        "invitation_days": settings.MINA_INVITATION_DAYS,
        "sends_email": sends_email(),
    }


@page
@require_POST
def invitation_create(request: HttpRequest, workspace_id: int) -> HttpResponse:
    membership = selectors.membership_get(user=request.user, workspace_id=workspace_id)
    form = InvitationForm(request.POST)
    invitation = submit(
        form,
        lambda data: services.invitation_create(
            membership=membership, email=data["email"], role=data["role"], site_url=request.build_absolute_uri("/")
        ),
    )
    if invitation is None:
        return render(request, "workspaces/members.html", _members_context(request, membership, form), status=400)
    if sends_email():
        messages.success(request, f"Invitation emailed to {invitation.email}. You can also copy its link below.")
    else:
        messages.success(request, f"Invitation ready. Copy its link below and send it to {invitation.email}.")
    return redirect("workspaces:members", workspace_id=workspace_id)


@page
@require_POST
def member_role(request: HttpRequest, workspace_id: int, membership_id: int) -> HttpResponse:
    actor = selectors.membership_get(user=request.user, workspace_id=workspace_id)
    target = selectors.member_get(workspace=actor.workspace, membership_id=membership_id)
    form = RoleForm(request.POST)
    changed = submit(form, lambda data: services.membership_change_role(actor=actor, target=target, role=data["role"]))
    if changed is None:
        return invalid_form(request, form)
    if is_partial(request):
        context = {"m": changed, "me": actor, "is_admin": True, "roles": Role.choices}
        return render(request, "workspaces/partials/member_row.html", context)
    messages.success(request, f"{changed.user.name} is now {changed.get_role_display().lower()}.")
    return redirect("workspaces:members", workspace_id=workspace_id)


@page
@require_POST
def member_remove(request: HttpRequest, workspace_id: int, membership_id: int) -> HttpResponse:
    actor = selectors.membership_get(user=request.user, workspace_id=workspace_id)
    target = selectors.member_get(workspace=actor.workspace, membership_id=membership_id)
    leaving = target.pk == actor.pk  # delete() clears the pk
    services.membership_remove(actor=actor, target=target)
    if leaving:
        messages.success(request, f"You left {actor.workspace.name}.")
        return HttpResponseClientRedirect("/") if is_partial(request) else redirect("/")
    if is_partial(request):
        return HttpResponse("")
    messages.success(request, f"{target.user.name} was removed from {actor.workspace.name}.")
    return redirect("workspaces:members", workspace_id=workspace_id)


@page
@require_POST
def invitation_revoke(request: HttpRequest, workspace_id: int, invitation_id: int) -> HttpResponse:
    membership = selectors.membership_get(user=request.user, workspace_id=workspace_id, min_role=Role.ADMIN)
    invitation = selectors.invitation_of(workspace=membership.workspace, invitation_id=invitation_id)
    services.invitation_revoke(membership=membership, invitation=invitation)
    if is_partial(request):
        return HttpResponse("")
    messages.success(request, f"The invitation for {invitation.email} was revoked; its link no longer works.")
    return redirect("workspaces:members", workspace_id=workspace_id)


@page(login=False)
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "workspaces/invitation_signed_out.html", {"next": request.path})
    invitation = selectors.invitation_get(user=request.user, token=token)
    if request.method == "POST":
        membership = services.invitation_accept(user=request.user, token=token)
        remember_workspace(request, membership.workspace_id)
        messages.success(request, f"Welcome to {membership.workspace.name}.")
        return redirect("meetings:list", workspace_id=membership.workspace_id)
    return render(request, "workspaces/invitation.html", {"invitation": invitation})


@page
@require_http_methods(["GET", "POST"])
def glossary(request: HttpRequest, workspace_id: int) -> HttpResponse:
    """The words Whisper is told to expect; members add, admins remove."""
    min_role = Role.MEMBER if request.method == "POST" else Role.VIEWER
    membership = selectors.membership_get(user=request.user, workspace_id=workspace_id, min_role=min_role)
    form = GlossaryTermForm(request.POST or None)
    if request.method == "POST":
        added = submit(form, lambda data: services.glossary_add(membership=membership, term=data["term"]))
        if added is not None:
            messages.success(request, f"“{added.term}” added: Mina expects it from the next meeting on.")
            return redirect("workspaces:glossary", workspace_id=workspace_id)
    context = {
        "section": "glossary", "me": membership, "workspace": membership.workspace, "form": form,
        "terms": selectors.glossary_list(workspace=membership.workspace),
        "prompt": selectors.glossary_prompt(workspace=membership.workspace),
        "max_chars": selectors.GLOSSARY_MAX_CHARS,
        "is_admin": membership.has_role(Role.ADMIN),
    }
    return render(request, "workspaces/glossary.html", context, status=400 if form.errors else 200)


@page
@require_POST
def glossary_remove(request: HttpRequest, workspace_id: int, term_id: int) -> HttpResponse:
    membership = selectors.membership_get(user=request.user, workspace_id=workspace_id, min_role=Role.ADMIN)
    services.glossary_remove(membership=membership, term_id=term_id)
    return redirect("workspaces:glossary", workspace_id=workspace_id)
