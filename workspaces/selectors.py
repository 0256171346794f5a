"""Reads, always scoped to the workspaces the user belongs to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.text import and_joined

from .models import GlossaryTerm, Invitation, Membership, Role, Workspace

# The glossary's share of Whisper's prompt: terms people add must fit in it, and the
# members' names fill what they leave of PROMPT_MAX_CHARS.
GLOSSARY_MAX_CHARS = 500
PROMPT_MAX_CHARS = 640


def workspace_list(*, user: Any) -> QuerySet[Workspace]:
    return Workspace.objects.filter(memberships__user=user).order_by("name")


def membership_get(*, user: Any, workspace_id: int, min_role: str = Role.VIEWER) -> Membership:
    """The user's membership, or NotFound (not a member) / Forbidden (role too low)."""
    if not getattr(user, "is_authenticated", False):
        raise NotFound("Workspace not found.")
    # `workspace__pk`, not `workspace_id`: an id past the database's integers then matches
    # nothing (Django guards integer lookups), where a foreign key lookup would fail.
    membership = (
        Membership.objects.select_related("workspace")
        .filter(user=user, workspace__pk=workspace_id)
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


def membership_list(*, user: Any) -> QuerySet[Membership]:
    """The user's memberships with their workspaces (the workspace menu)."""
    return Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name", "id")


def member_get(*, workspace: Workspace, membership_id: int) -> Membership:
    """A membership of `workspace`; another workspace's id is NotFound."""
    target = (
        Membership.objects.select_related("workspace", "user")
        .filter(workspace=workspace, pk=membership_id)
        .first()
    )
    if target is None:
        raise NotFound("Member not found.")
    return target


def invitation_pending_list(*, workspace: Workspace) -> QuerySet[Invitation]:
    return (
        workspace.invitations.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())
        .select_related("invited_by")
        .order_by("-created_at")
    )


def invitation_of(*, workspace: Workspace, invitation_id: int) -> Invitation:
    """An open invitation of `workspace`; another workspace's id, or a used one, is NotFound."""
    invitation = workspace.invitations.filter(pk=invitation_id, accepted_at__isnull=True).first()
    if invitation is None:
        raise NotFound("Invitation not found.")
    return invitation


def invitation_get(*, user: Any, token: str, lock: bool = False) -> Invitation:
    """The invitation `user` may accept, or the error accepting it would give (the one
    rule, for the page that shows it and the service that accepts it, `lock`ed)."""
    invitations = Invitation.objects.select_related("workspace", "invited_by")
    invitation = (invitations.select_for_update(of=("self",)) if lock else invitations).filter(token=token).first()
    if invitation is None or invitation.email.lower() != user.email.lower():
        raise NotFound("This invitation does not exist or is for another email address.")
    if invitation.accepted_at is not None:
        raise Conflict("This invitation has already been used.")
    if invitation.is_expired:
        raise Invalid(
            "This invitation has expired. Ask the person who invited you for a new one.",
            code="invitation_expired",
        )
    return invitation


def glossary_list(*, workspace: Workspace) -> QuerySet[GlossaryTerm]:
    return workspace.glossary.all()


def expected_words(*, workspace: Workspace) -> tuple[list[str], list[str]]:
    """The glossary's terms and the members' names not among them (both empty without
    a glossary: only a team that keeps one has its words expected)."""
    terms = [t.term for t in glossary_list(workspace=workspace)]
    if not terms:
        return [], []
    names = member_list(workspace=workspace).values_list("user__display_name", flat=True)
    return terms, sorted({n.strip() for n in names if n.strip()} - set(terms))


def glossary_prompt(*, workspace: Workspace) -> str:
    """What Whisper is told before each pass: the glossary's terms and, in the room they
    leave, the members' names (when there is a glossary), within PROMPT_MAX_CHARS (Whisper
    reads at most 223 tokens of prompt; jargon is ~3 characters a token, and a full
    prompt measured 162). Empty when there is nothing to tell.

    As one plain sentence, "Oksana and Priya talked about ArgoCD, Grafana and Zephyrix.":
    Whisper takes its prompt for what was said before, and on the glossary benchmark's tune
    meetings this got more terms right than the headed lists "Glossary: … Names: …"
    (respelt, careful 76 → 82 of 95, live 68 → 70) with a lower WER on the other words.
    Not "We talked about … with Oksana and Priya.": as good on the meetings, but on
    jargon.wav the careful pass read it out after the speech ("We talked about Grafana,
    Kubelet, Kubelet, …"). One bare list of everything read itself out too ("… to Kubelet,
    Oksana, Kubelet, Zephyrix").
    """
    terms, people = expected_words(workspace=workspace)
    return prompt_of(terms, people)


def prompt_of(terms: list[str], people: list[str]) -> str:
    """`glossary_prompt` from words already read (`expected_words`)."""
    if not terms:
        # Only a team that keeps a glossary gets a prompt: any prompt shifts Whisper's
        # borderline calls, and names alone ("Names: Ada, Tom.") lost two turns of a
        # doubtful window (tests/transcription/test_nothing_lost.py) that plain decoding keeps.
        return ""
    kept_terms = _fitting(terms, lambda words: _sentence(words, []))
    kept_people = _fitting(people, lambda words: _sentence(kept_terms, words))
    return _sentence(kept_terms, kept_people)


def _fitting(words: list[str], build: Callable[[list[str]], str]) -> list[str]:
    """The longest head of `words` whose prompt, as `build` writes it, fits PROMPT_MAX_CHARS."""
    kept: list[str] = []
    for word in words:
        if len(build([*kept, word])) > PROMPT_MAX_CHARS:
            break
        kept.append(word)
    return kept


def _sentence(terms: list[str], people: list[str]) -> str:
    """The prompt's one sentence: "D and E talked about A, B and C." ("We" without names)."""
    if not terms:
        return ""
    return f"{and_joined(people) if people else 'We'} talked about {and_joined(terms)}."
