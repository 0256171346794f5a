"""Workspaces, members, invitations and /me/."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from tests.api.helpers import ROLES, client_for, error_code, queries_for, quick_users
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory
from workspaces.models import Invitation, Membership, Role


def test_me_shows_and_renames_the_signed_in_user(owner, as_user):
    client = as_user(owner)
    assert client.get("/api/v1/me/").json()["email"] == owner.email
    response = client.patch("/api/v1/me/", {"display_name": "Ada"}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "Ada"


def test_me_needs_a_token(api, db):
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"


def test_list_shows_my_workspaces_with_my_role_and_never_others(workspace, owner, outsider, as_user):
    WorkspaceFactory()
    response = as_user(owner).get("/api/v1/workspaces/")
    assert response.status_code == 200
    body = response.json()
    assert [(w["id"], w["role"]) for w in body["results"]] == [(workspace.id, "owner")]
    assert body["count"] == 1


def test_create_makes_me_the_owner(as_user, db):
    user = UserFactory()
    response = as_user(user).post("/api/v1/workspaces/", {"name": "Product", "retention_days": 30}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["role"] == "owner" and body["slug"] == "product" and body["retention_days"] == 30
    assert Membership.objects.get(user=user).role == Role.OWNER


def test_create_refuses_a_blank_name(owner, as_user):
    response = as_user(owner).post("/api/v1/workspaces/", {"name": "  "}, format="json")
    assert response.status_code == 400
    assert error_code(response) == "validation_error"
    assert "name" in response.json()["error"]["fields"]


def test_retrieve(workspace, owner, as_user):
    response = as_user(owner).get(f"/api/v1/workspaces/{workspace.id}/")
    assert response.status_code == 200
    assert response.json()["name"] == workspace.name


@pytest.mark.parametrize("role,status", list(zip(ROLES, [403, 403, 200, 200], strict=True)))
def test_update_needs_admin(workspace, member_of, as_user, role, status):
    response = as_user(member_of(workspace, role)).patch(
        f"/api/v1/workspaces/{workspace.id}/", {"name": "Renamed"}, format="json"
    )
    assert response.status_code == status, response.content
    workspace.refresh_from_db()
    assert (workspace.name == "Renamed") == (status == 200)
    if status == 403:
        assert error_code(response) == "forbidden"


def test_members_list_shows_everyone_with_roles(workspace, owner, member_of, as_user):
    viewer = member_of(workspace, Role.VIEWER)
    response = as_user(viewer).get(f"/api/v1/workspaces/{workspace.id}/members/")
    assert response.status_code == 200
    roles = {m["user"]["email"]: m["role"] for m in response.json()["results"]}
    assert roles == {owner.email: "owner", viewer.email: "viewer"}


@pytest.mark.parametrize("role,status", list(zip(ROLES, [403, 403, 201, 201], strict=True)))
def test_invite_needs_admin(workspace, member_of, as_user, role, status):
    response = as_user(member_of(workspace, role)).post(
        f"/api/v1/workspaces/{workspace.id}/invitations/", {"email": "new@example.com"}, format="json"
    )
    assert response.status_code == status, response.content
    assert Invitation.objects.filter(email="new@example.com").exists() == (status == 201)


def test_only_an_owner_invites_an_owner(workspace, member_of, as_user):
    admin = member_of(workspace, Role.ADMIN)
    url = f"/api/v1/workspaces/{workspace.id}/invitations/"
    response = as_user(admin).post(url, {"email": "boss@example.com", "role": "owner"}, format="json")
    assert response.status_code == 403


def test_inviting_a_member_again_is_a_conflict(workspace, owner, member_of, as_user):
    member = member_of(workspace, Role.MEMBER)
    response = as_user(owner).post(
        f"/api/v1/workspaces/{workspace.id}/invitations/", {"email": member.email}, format="json"
    )
    assert response.status_code == 409
    assert error_code(response) == "conflict"


def _invite(workspace, owner, email="bob@example.com", role=Role.MEMBER):
    return Invitation.objects.create(workspace=workspace, email=email, role=role, invited_by=owner)


def test_the_invited_email_accepts_with_the_token(workspace, owner, as_user):
    invitation = _invite(workspace, owner, role=Role.ADMIN)
    bob = UserFactory(email="bob@example.com")
    response = as_user(bob).post("/api/v1/invitations/accept/", {"token": invitation.token}, format="json")
    assert response.status_code == 200
    assert response.json() == {**response.json(), "id": workspace.id, "role": "admin"}
    again = as_user(bob).post("/api/v1/invitations/accept/", {"token": invitation.token}, format="json")
    assert again.status_code == 409


def test_another_email_cannot_accept(workspace, owner, as_user):
    invitation = _invite(workspace, owner)
    eve = UserFactory(email="eve@example.com")
    response = as_user(eve).post("/api/v1/invitations/accept/", {"token": invitation.token}, format="json")
    assert response.status_code == 404
    assert not Membership.objects.filter(user=eve).exists()


def test_an_expired_invitation_says_so(workspace, owner, as_user):
    invitation = _invite(workspace, owner)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    bob = UserFactory(email="bob@example.com")
    response = as_user(bob).post("/api/v1/invitations/accept/", {"token": invitation.token}, format="json")
    assert response.status_code == 400
    assert error_code(response) == "invitation_expired"


def test_accepting_needs_sign_in(api, workspace, owner):
    invitation = _invite(workspace, owner)
    response = api.post("/api/v1/invitations/accept/", {"token": invitation.token}, format="json")
    assert response.status_code == 401


@pytest.mark.parametrize("role,status", list(zip(ROLES, [403, 403, 200, 200], strict=True)))
def test_changing_a_role_needs_admin(workspace, member_of, as_user, role, status):
    target = MembershipFactory(workspace=workspace, role=Role.VIEWER)
    response = as_user(member_of(workspace, role)).patch(
        f"/api/v1/workspaces/{workspace.id}/members/{target.id}/", {"role": "member"}, format="json"
    )
    assert response.status_code == status, response.content
    target.refresh_from_db()
    assert (target.role == Role.MEMBER) == (status == 200)


def test_only_an_owner_makes_owners(workspace, member_of, as_user):
    admin = member_of(workspace, Role.ADMIN)
    target = MembershipFactory(workspace=workspace, role=Role.MEMBER)
    response = as_user(admin).patch(
        f"/api/v1/workspaces/{workspace.id}/members/{target.id}/", {"role": "owner"}, format="json"
    )
    assert response.status_code == 403


def test_the_last_owner_cannot_be_demoted(workspace, owner, as_user):
    mine = owner.memberships.get()
    response = as_user(owner).patch(
        f"/api/v1/workspaces/{workspace.id}/members/{mine.id}/", {"role": "admin"}, format="json"
    )
    assert response.status_code == 409
    assert error_code(response) == "conflict"
    mine.refresh_from_db()
    assert mine.role == Role.OWNER


def test_the_last_owner_cannot_be_removed(workspace, owner, as_user):
    mine = owner.memberships.get()
    response = as_user(owner).delete(f"/api/v1/workspaces/{workspace.id}/members/{mine.id}/")
    assert response.status_code == 409
    assert Membership.objects.filter(pk=mine.pk).exists()


def test_with_a_second_owner_the_first_can_leave(workspace, owner, member_of, as_user):
    member_of(workspace, Role.OWNER)
    mine = owner.memberships.get()
    response = as_user(owner).delete(f"/api/v1/workspaces/{workspace.id}/members/{mine.id}/")
    assert response.status_code == 204
    assert not Membership.objects.filter(pk=mine.pk).exists()


@pytest.mark.parametrize("role,status", list(zip(ROLES, [403, 403, 204, 204], strict=True)))
def test_removing_someone_else_needs_admin(workspace, member_of, as_user, role, status):
    target = MembershipFactory(workspace=workspace, role=Role.MEMBER)
    response = as_user(member_of(workspace, role)).delete(f"/api/v1/workspaces/{workspace.id}/members/{target.id}/")
    assert response.status_code == status, response.content
    assert Membership.objects.filter(pk=target.pk).exists() == (status == 403)


def test_anyone_can_leave(workspace, owner, member_of, as_user):
    viewer = member_of(workspace, Role.VIEWER)
    mine = viewer.memberships.get()
    response = as_user(viewer).delete(f"/api/v1/workspaces/{workspace.id}/members/{mine.id}/")
    assert response.status_code == 204


def test_a_member_id_from_another_workspace_is_not_found(workspace, owner, outsider, as_user):
    foreign = outsider.memberships.get()
    url = f"/api/v1/workspaces/{workspace.id}/members/{foreign.id}/"
    assert as_user(owner).patch(url, {"role": "viewer"}, format="json").status_code == 404
    assert as_user(owner).delete(url).status_code == 404
    foreign.refresh_from_db()
    assert foreign.role == Role.OWNER


@pytest.mark.parametrize("rows", [1, 50])
def test_workspace_list_runs_constant_queries(rows, db):
    user = UserFactory()
    Membership.objects.bulk_create([Membership(workspace=WorkspaceFactory(), user=user) for _ in range(rows)])
    assert queries_for(client_for(user), "/api/v1/workspaces/?limit=100") == WORKSPACE_LIST_QUERIES


@pytest.mark.parametrize("rows", [1, 50])
def test_member_list_runs_constant_queries(rows, workspace, owner, db):
    Membership.objects.bulk_create([Membership(workspace=workspace, user=u) for u in quick_users(rows)])
    url = f"/api/v1/workspaces/{workspace.id}/members/?limit=100"
    assert queries_for(client_for(owner), url) == MEMBER_LIST_QUERIES


# user, count, page
WORKSPACE_LIST_QUERIES = 3
# user, membership, count, page
MEMBER_LIST_QUERIES = 4


def test_an_admin_lists_and_revokes_open_invitations(workspace, owner, member_of, as_user):
    admin = as_user(member_of(workspace, Role.ADMIN))
    invitation = _invite(workspace, owner)
    used = _invite(workspace, owner, email="used@example.com")
    Invitation.objects.filter(pk=used.pk).update(accepted_at=timezone.now())
    listed = admin.get(f"/api/v1/workspaces/{workspace.id}/invitations/")
    assert listed.status_code == 200
    assert [row["email"] for row in listed.json()] == ["bob@example.com"]

    response = admin.delete(f"/api/v1/workspaces/{workspace.id}/invitations/{invitation.id}/")
    assert response.status_code == 204
    assert not Invitation.objects.filter(pk=invitation.pk).exists()
    assert AuditEvent.objects.filter(action="invitation_revoked", target="email:bob@example.com").exists()
    bob = UserFactory(email="bob@example.com")
    accept = as_user(bob).post("/api/v1/invitations/accept/", {"token": invitation.token}, format="json")
    assert accept.status_code == 404
    assert admin.delete(f"/api/v1/workspaces/{workspace.id}/invitations/{used.id}/").status_code == 404


def test_only_an_owner_revokes_an_invitation_to_become_owner(workspace, owner, member_of, as_user):
    invitation = _invite(workspace, owner, role=Role.OWNER)
    path = f"/api/v1/workspaces/{workspace.id}/invitations/{invitation.id}/"
    assert as_user(member_of(workspace, Role.ADMIN)).delete(path).status_code == 403
    assert as_user(owner).delete(path).status_code == 204


def test_another_workspaces_invitation_is_not_found(workspace, owner, as_user):
    mine = WorkspaceFactory()
    MembershipFactory(workspace=mine, user=owner, role=Role.OWNER)
    theirs = _invite(workspace, owner)
    stranger = UserFactory()
    MembershipFactory(workspace=mine, user=stranger, role=Role.OWNER)
    assert as_user(stranger).delete(f"/api/v1/workspaces/{mine.id}/invitations/{theirs.id}/").status_code == 404
    assert Invitation.objects.filter(pk=theirs.pk).exists()


def test_an_api_invitation_is_emailed_too(workspace, owner, as_user, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(owner).post(f"/api/v1/workspaces/{workspace.id}/invitations/",
                                       {"email": "dee@example.com"}, format="json")
    assert response.status_code == 201
    [mail] = mailoutbox
    assert mail.to == ["dee@example.com"] and response.json()["token"] in mail.body
