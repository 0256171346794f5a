"""Home, creating and switching workspaces, members and roles."""

from __future__ import annotations

import pytest

from tests.factories import MembershipFactory, WorkspaceFactory
from workspaces.models import Invitation, Membership, Role

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_home_sends_a_user_without_workspace_to_create_one(signed_in, outsider, db):
    from tests.factories import UserFactory

    client = signed_in(UserFactory())
    assert client.get("/").url == "/workspaces/new/"


def test_home_opens_the_current_workspace(signed_in, workspace, owner):
    other = WorkspaceFactory(name="Aardvark")  # sorts first
    MembershipFactory(workspace=other, user=owner)
    client = signed_in(owner)
    assert client.get("/").url == f"/w/{other.id}/meetings/"
    client.post(f"/w/{workspace.id}/switch/")
    assert client.get("/").url == f"/w/{workspace.id}/meetings/"


def test_home_forgets_a_workspace_the_user_left(signed_in, workspace, owner):
    other = WorkspaceFactory()
    membership = MembershipFactory(workspace=other, user=owner)
    client = signed_in(owner)
    client.post(f"/w/{other.id}/switch/")
    membership.delete()
    assert client.get("/").url == f"/w/{workspace.id}/meetings/"


def test_create_workspace_makes_the_user_owner(signed_in, owner):
    client = signed_in(owner)
    response = client.post("/workspaces/new/", {"name": "Design team"})
    created = Membership.objects.get(user=owner, workspace__name="Design team")
    assert created.role == Role.OWNER
    assert response.url == f"/w/{created.workspace_id}/meetings/"
    assert client.get("/").url == response.url


def test_create_workspace_needs_a_name(signed_in, owner):
    response = signed_in(owner).post("/workspaces/new/", {"name": "   "})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()


def test_switching_to_another_users_workspace_is_not_found(signed_in, owner, outsider):
    foreign = outsider.memberships.get().workspace
    response = signed_in(owner).post(f"/w/{foreign.id}/switch/")
    assert response.status_code == 404
    assert "Not found" in response.content.decode()


def test_workspace_menu_lists_my_workspaces(signed_in, workspace, owner):
    MembershipFactory(workspace=WorkspaceFactory(name="Second team"), user=owner, role=Role.VIEWER)
    body = signed_in(owner).get(f"/w/{workspace.id}/members/").content.decode()
    assert "Switch workspace" in body
    assert "Second team" in body


def test_members_page_lists_people_and_roles(signed_in, workspace, owner, member_of):
    member_of(workspace, Role.VIEWER, display_name="Vera")
    body = signed_in(owner).get(f"/w/{workspace.id}/members/").content.decode()
    assert "Vera" in body
    assert "Invite someone" in body
    assert 'name="role"' in body


def test_viewer_sees_members_but_cannot_invite(signed_in, workspace, owner, member_of):
    viewer = member_of(workspace, Role.VIEWER)
    Invitation.objects.create(workspace=workspace, email="secret@example.com", invited_by=owner)
    body = signed_in(viewer).get(f"/w/{workspace.id}/members/").content.decode()
    assert owner.name in body
    assert "Invite someone" not in body
    assert "secret@example.com" not in body  # invitation links are secrets


def test_members_of_another_workspace_are_not_found(signed_in, workspace, outsider):
    assert signed_in(outsider).get(f"/w/{workspace.id}/members/").status_code == 404


def test_members_page_needs_sign_in(client, workspace):
    response = client.get(f"/w/{workspace.id}/members/")
    assert response.status_code == 302
    assert response.url == f"/accounts/sign-in/?next=/w/{workspace.id}/members/"


def test_admin_creates_an_invitation_link(signed_in, workspace, owner):
    client = signed_in(owner)
    response = client.post(f"/w/{workspace.id}/invitations/", {"email": "Bo@Example.com", "role": "member"})
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "bo@example.com"
    body = client.get(response.url).content.decode()
    assert f"http://testserver/invitations/{invitation.token}/" in body
    assert "Copy link" in body


def test_member_cannot_invite(signed_in, workspace, member_of):
    member = member_of(workspace, Role.MEMBER)
    response = signed_in(member).post(f"/w/{workspace.id}/invitations/", {"email": "x@example.com", "role": "member"})
    assert response.status_code == 403
    assert "ask a workspace admin" in response.content.decode().lower()
    assert not Invitation.objects.exists()


def test_inviting_a_member_again_shows_on_the_form(signed_in, workspace, owner, member_of):
    member = member_of(workspace)
    response = signed_in(owner).post(f"/w/{workspace.id}/invitations/", {"email": member.email, "role": "member"})
    assert response.status_code == 400
    assert "already a member" in response.content.decode()


def test_inviting_into_another_workspace_is_not_found(signed_in, workspace, outsider):
    response = signed_in(outsider).post(f"/w/{workspace.id}/invitations/", {"email": "x@example.com"})
    assert response.status_code == 404


def test_admin_changes_a_role_in_place(signed_in, workspace, owner, member_of):
    member = member_of(workspace, Role.MEMBER)
    target = member.memberships.get()
    response = signed_in(owner).post(f"/w/{workspace.id}/members/{target.id}/role/", {"role": "admin"}, **HTMX)
    assert response.status_code == 200
    assert f'id="member-{target.id}"' in response.content.decode()
    assert "<html" not in response.content.decode()
    target.refresh_from_db()
    assert target.role == Role.ADMIN


def test_an_admin_gets_no_controls_over_owners(signed_in, workspace, owner, member_of):
    admin = member_of(workspace, Role.ADMIN)
    member = member_of(workspace, Role.MEMBER)
    body = signed_in(admin).get(f"/w/{workspace.id}/members/").content.decode()
    owner_row = body[body.index(f'id="member-{owner.memberships.get().id}"') :].split("</li>")[0]
    assert "<select" not in owner_row and "Remove" not in owner_row
    member_row = body[body.index(f'id="member-{member.memberships.get().id}"') :].split("</li>")[0]
    assert "<select" in member_row and 'value="owner"' not in member_row


def test_the_sole_owner_is_not_offered_to_leave(signed_in, workspace, owner):
    body = signed_in(owner).get(f"/w/{workspace.id}/members/").content.decode()
    assert ">Leave<" not in body


def test_member_cannot_change_roles(signed_in, workspace, owner, member_of):
    member = member_of(workspace, Role.MEMBER)
    target = owner.memberships.get()
    response = signed_in(member).post(f"/w/{workspace.id}/members/{target.id}/role/", {"role": "viewer"}, **HTMX)
    assert response.status_code == 403
    assert response["HX-Retarget"] == "#flash"
    assert 'role="alert"' in response.content.decode()
    target.refresh_from_db()
    assert target.role == Role.OWNER


def test_a_membership_of_another_workspace_is_not_found(signed_in, workspace, owner, outsider):
    foreign = outsider.memberships.get()
    response = signed_in(owner).post(f"/w/{workspace.id}/members/{foreign.id}/role/", {"role": "viewer"})
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.role == Role.OWNER


def test_the_last_owner_cannot_leave(signed_in, workspace, owner):
    me = owner.memberships.get()
    response = signed_in(owner).post(f"/w/{workspace.id}/members/{me.id}/remove/")
    assert response.status_code == 409
    assert "last owner" in response.content.decode()
    assert Membership.objects.filter(pk=me.pk).exists()


def test_admin_removes_a_member_in_place(signed_in, workspace, owner, member_of):
    target = member_of(workspace).memberships.get()
    response = signed_in(owner).post(f"/w/{workspace.id}/members/{target.id}/remove/", **HTMX)
    assert response.status_code == 200
    assert response.content == b""
    assert not Membership.objects.filter(pk=target.pk).exists()


def test_a_member_leaves_and_goes_home(signed_in, workspace, member_of):
    me = member_of(workspace).memberships.get()
    response = signed_in(me.user).post(f"/w/{workspace.id}/members/{me.id}/remove/", **HTMX)
    assert response["HX-Redirect"] == "/"
    assert not Membership.objects.filter(pk=me.pk).exists()


def test_an_admin_sets_what_becomes_of_tasks_found_and_the_rest(signed_in, workspace, owner, member_of):
    from workspaces.models import Workspace

    client = signed_in(owner)
    url = f"/w/{workspace.id}/settings/"
    assert "Tasks found in meetings" in client.get(url).content.decode()

    refused = client.post(url, {"name": " ", "language": "de", "accept_tasks": "sometimes"})
    assert refused.status_code == 400
    response = client.post(url, {"name": "Design", "language": "de", "accept_tasks": "never", "retention_days": ""},
                           follow=True)

    assert "Settings saved." in response.content.decode()
    workspace.refresh_from_db()
    assert (workspace.name, workspace.language, workspace.accept_tasks, workspace.retention_days) == (
        "Design", "de", Workspace.TaskAcceptance.NEVER, None
    )
    member = signed_in(member_of(workspace, "member"))
    assert member.post(url, {"name": "Mine", "language": "en", "accept_tasks": "always"}).status_code == 403
