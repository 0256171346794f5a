"""Writes for workspaces, memberships and invitations."""

from __future__ import annotations

from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from accounts import audit
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.jobs import enqueue
from core.languages import ENGLISH

from .models import GlossaryTerm, Invitation, Membership, Role, Workspace
from .selectors import GLOSSARY_MAX_CHARS, glossary_list, invitation_get, require_role


def _unique_slug(name: str) -> str:
    base = slugify(name)[:100] or "workspace"
    slug, n = base, 1
    while Workspace.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def workspace_create(
    *,
    user: Any,
    name: str,
    retention_days: int | None = None,
    language: str = ENGLISH,
    accept_tasks: str = Workspace.TaskAcceptance.CONFIDENT,
) -> Workspace:
    name = name.strip()
    if not name:
        raise Invalid("Give the workspace a name.", fields={"name": ["This field is required."]})
    workspace = Workspace.objects.create(
        name=name, slug=_unique_slug(name), retention_days=retention_days, language=language,
        accept_tasks=accept_tasks,
    )
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    return workspace


def workspace_update(*, membership: Membership, **fields: Any) -> Workspace:
    require_role(membership, Role.ADMIN)
    workspace = membership.workspace
    allowed = {"name", "retention_days", "language", "accept_tasks"}
    changed = [k for k in fields if k in allowed]
    for key in changed:
        setattr(workspace, key, fields[key])
    workspace.save(update_fields=changed)
    return workspace


def invitation_create(
    *, membership: Membership, email: str, role: str = Role.MEMBER, site_url: str = ""
) -> Invitation:
    """An invitation link for `email`; with `site_url` (where the inviter's request came
    to, e.g. https://mina.example.com) the invitee is also emailed it, by a job."""
    require_role(membership, Role.ADMIN)
    if role == Role.OWNER and membership.role != Role.OWNER:
        raise Forbidden("Only an owner can invite another owner.")
    if role not in Role.values:
        raise Invalid("Unknown role.", fields={"role": [f"Choose one of {', '.join(Role.values)}."]})
    email = email.strip().lower()
    if membership.workspace.memberships.filter(user__email__iexact=email).exists():
        raise Conflict(f"{email} is already a member of this workspace.")
    invitation = Invitation.objects.create(
        workspace=membership.workspace, email=email, role=role, invited_by=membership.user
    )
    audit.record("invitation_created", actor=membership.user, workspace=membership.workspace,
                 target=f"email:{email}", role=role)
    if site_url:
        link = site_url.rstrip("/") + invitation.get_absolute_url()
        enqueue("workspaces.tasks.send_invitation", invitation.pk, link)
    return invitation


def invitation_email(*, invitation_id: int, link: str) -> bool:
    """Email an open invitation its link; False when it was revoked, used or expired meanwhile."""
    invitation = (
        Invitation.objects.select_related("workspace", "invited_by")
        .filter(pk=invitation_id, accepted_at__isnull=True)
        .first()
    )
    if invitation is None or invitation.is_expired:
        return False
    context = {"invitation": invitation, "link": link, "inviter": invitation.invited_by}
    send_mail(
        subject=render_to_string("workspaces/invitation_email_subject.txt", context).strip(),
        message=render_to_string("workspaces/invitation_email.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )
    return True


def invitation_revoke(*, membership: Membership, invitation: Invitation) -> None:
    """Take an invitation back (admin and up): its link stops working at once."""
    require_role(membership, Role.ADMIN)
    if invitation.role == Role.OWNER and membership.role != Role.OWNER:
        raise Forbidden("Only an owner can revoke an invitation to become an owner.")
    invitation.delete()
    audit.record("invitation_revoked", actor=membership.user, workspace=membership.workspace,
                 target=f"email:{invitation.email}", role=invitation.role)


@transaction.atomic
def invitation_accept(*, user: Any, token: str) -> Membership:
    invitation = invitation_get(user=user, token=token, lock=True)
    membership, _ = Membership.objects.get_or_create(
        workspace=invitation.workspace, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit.record("invitation_accepted", actor=user, workspace=invitation.workspace, target=invitation)
    return membership


def _owners_left(workspace: Workspace, excluding: Membership) -> int:
    return workspace.memberships.filter(role=Role.OWNER).exclude(pk=excluding.pk).count()


@transaction.atomic
def membership_change_role(*, actor: Membership, target: Membership, role: str) -> Membership:
    require_role(actor, Role.ADMIN)
    if role not in Role.values:
        raise Invalid("Unknown role.", fields={"role": [f"Choose one of {', '.join(Role.values)}."]})
    if Role.OWNER in (role, target.role) and actor.role != Role.OWNER:
        raise Forbidden("Only an owner can make or unmake owners.")
    if target.role == Role.OWNER and role != Role.OWNER and not _owners_left(target.workspace, target):
        raise Conflict("The last owner cannot be demoted. Make someone else an owner first.")
    before = target.role
    target.role = role
    target.save(update_fields=["role"])
    audit.record("role_changed", actor=actor.user, workspace=target.workspace,
                 target=f"user:{target.user_id}", before=before, after=role)
    return target


@transaction.atomic
def membership_remove(*, actor: Membership, target: Membership) -> None:
    if actor.pk != target.pk:
        require_role(actor, Role.ADMIN)
        if target.role == Role.OWNER and actor.role != Role.OWNER:
            raise Forbidden("Only an owner can remove an owner.")
    if target.role == Role.OWNER and not _owners_left(target.workspace, target):
        raise Conflict("The last owner cannot leave. Make someone else an owner first.")
    audit.record("member_removed", actor=actor.user, workspace=target.workspace,
                 target=f"user:{target.user_id}", role=target.role)
    target.delete()


def glossary_add(*, membership: Membership, term: str) -> GlossaryTerm:
    """A term for Whisper to expect; refused past the prompt's room for the glossary."""
    require_role(membership, Role.MEMBER)
    term = " ".join(term.split())
    if not term or len(term) > 60 or not any(c.isalnum() for c in term):
        raise Invalid("A term is a word or a name of 1 to 60 characters.", fields={"term": ["Give a word or a name."]})
    workspace = membership.workspace
    terms = list(glossary_list(workspace=workspace).values_list("term", flat=True))
    if term.lower() in (t.lower() for t in terms):
        raise Conflict(f"“{term}” is already in the glossary.")
    used = len(", ".join(terms))
    if used + len(term) + 2 > GLOSSARY_MAX_CHARS:
        raise Invalid(
            f"The glossary is full: Whisper's prompt has room for {GLOSSARY_MAX_CHARS} characters of "
            f"terms and {used} are taken. Remove a term that no longer comes up first.",
            fields={"term": [f"The glossary is full: at most {GLOSSARY_MAX_CHARS} characters of terms in all."]},
        )
    added = GlossaryTerm.objects.create(workspace=workspace, term=term, added_by=membership.user)
    audit.record("glossary_term_added", actor=membership.user, workspace=workspace, target=f"term:{term}")
    return added


def glossary_remove(*, membership: Membership, term_id: int) -> None:
    require_role(membership, Role.ADMIN)
    term = glossary_list(workspace=membership.workspace).filter(pk=term_id).first()
    if term is None:
        raise NotFound("No such term in this workspace's glossary.")
    term.delete()
    audit.record("glossary_term_removed", actor=membership.user, workspace=membership.workspace,
                 target=f"term:{term.term}")
