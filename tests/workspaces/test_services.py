from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import Conflict, Forbidden, Invalid, NotFound
from tests.factories import UserFactory
from workspaces import services
from workspaces.models import Membership, Role


@pytest.mark.django_db
def test_whoever_creates_a_workspace_owns_it():
    user = UserFactory()
    workspace = services.workspace_create(user=user, name="Product")
    assert Membership.objects.get(workspace=workspace, user=user).role == Role.OWNER
    assert workspace.slug == "product"


def test_invitation_is_accepted_only_by_the_invited_email(workspace, owner):
    membership = owner.memberships.get()
    invitation = services.invitation_create(membership=membership, email="bob@example.com")
    with pytest.raises(NotFound):
        services.invitation_accept(user=UserFactory(email="eve@example.com"), token=invitation.token)
    bob = UserFactory(email="bob@example.com")
    assert services.invitation_accept(user=bob, token=invitation.token).role == Role.MEMBER
    with pytest.raises(Conflict):
        services.invitation_accept(user=bob, token=invitation.token)


def test_expired_invitation_says_so(workspace, owner):
    invitation = services.invitation_create(membership=owner.memberships.get(), email="bob@example.com")
    invitation.expires_at = timezone.now() - timedelta(minutes=1)
    invitation.save()
    with pytest.raises(Invalid) as info:
        services.invitation_accept(user=UserFactory(email="bob@example.com"), token=invitation.token)
    assert info.value.code == "invitation_expired"


def test_members_cannot_invite(workspace, member_of):
    member = member_of(workspace, Role.MEMBER)
    with pytest.raises(Forbidden):
        services.invitation_create(membership=member.memberships.get(), email="x@example.com")


def test_the_last_owner_cannot_leave_or_be_demoted(workspace, owner):
    membership = owner.memberships.get()
    with pytest.raises(Conflict):
        services.membership_remove(actor=membership, target=membership)
    with pytest.raises(Conflict):
        services.membership_change_role(actor=membership, target=membership, role=Role.ADMIN)


def test_an_admin_cannot_make_owners(workspace, member_of):
    admin = member_of(workspace, Role.ADMIN).memberships.get()
    member = member_of(workspace, Role.MEMBER).memberships.get()
    with pytest.raises(Forbidden):
        services.membership_change_role(actor=admin, target=member, role=Role.OWNER)
    assert services.membership_change_role(actor=admin, target=member, role=Role.VIEWER).role == Role.VIEWER
