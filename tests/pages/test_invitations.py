"""The page an invitee opens from the link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import UserFactory
from workspaces.models import Invitation, Membership, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation(workspace, owner):
    return Invitation.objects.create(workspace=workspace, email="bo@example.com", role=Role.MEMBER, invited_by=owner)


@pytest.fixture
def bo(db):
    return UserFactory(email="bo@example.com", display_name="Bo")


def test_signed_out_invitee_is_asked_to_sign_in_or_up(client, invitation):
    response = client.get(f"/invitations/{invitation.token}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert f"/accounts/sign-up/?next=/invitations/{invitation.token}/" in body
    assert f"/accounts/sign-in/?next=/invitations/{invitation.token}/" in body
    assert invitation.workspace.name not in body  # nothing about the workspace before sign-in


def test_invitee_sees_whom_they_join(signed_in, invitation, bo):
    body = signed_in(bo).get(f"/invitations/{invitation.token}/").content.decode()
    assert f"Join {invitation.workspace.name}" in body
    assert "as member" in body


def test_accepting_joins_and_opens_the_meetings(signed_in, invitation, bo):
    client = signed_in(bo)
    response = client.post(f"/invitations/{invitation.token}/")
    assert response.url == f"/w/{invitation.workspace_id}/meetings/"
    assert Membership.objects.get(user=bo, workspace=invitation.workspace).role == Role.MEMBER
    assert client.get("/").url == response.url
    assert f"Welcome to {invitation.workspace.name}" in client.get(response.url).content.decode()


def test_another_address_cannot_accept(signed_in, invitation, outsider):
    client = signed_in(outsider)
    response = client.get(f"/invitations/{invitation.token}/")
    assert response.status_code == 404
    assert "sign out and sign in with that one" in response.content.decode()
    assert client.post(f"/invitations/{invitation.token}/").status_code == 404
    assert not Membership.objects.filter(user=outsider, workspace=invitation.workspace).exists()


def test_an_expired_invitation_says_what_to_do(signed_in, invitation, bo):
    invitation.expires_at = timezone.now() - timedelta(minutes=1)
    invitation.save()
    response = signed_in(bo).get(f"/invitations/{invitation.token}/")
    body = response.content.decode()
    assert response.status_code == 400
    assert "This invitation has expired" in body
    assert "Ask the person who invited you for a new one." in body


def test_a_used_invitation_cannot_be_used_again(signed_in, invitation, bo):
    client = signed_in(bo)
    client.post(f"/invitations/{invitation.token}/")
    response = client.get(f"/invitations/{invitation.token}/")
    assert response.status_code == 409
    assert "already been used" in response.content.decode()


def test_an_unknown_token_is_not_found(signed_in, bo):
    assert signed_in(bo).get("/invitations/not-a-token/").status_code == 404


def test_an_admin_revokes_an_invitation_in_place_and_its_link_stops_working(signed_in, workspace, invitation,
                                                                             member_of, bo):
    admin = signed_in(member_of(workspace, Role.ADMIN))
    members_page = admin.get(f"/w/{workspace.id}/members/").content.decode()
    assert f"/w/{workspace.id}/invitations/{invitation.id}/revoke/" in members_page and "Revoke" in members_page
    response = admin.post(f"/w/{workspace.id}/invitations/{invitation.id}/revoke/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.content == b""  # the row goes
    assert "bo@example.com" not in admin.get(f"/w/{workspace.id}/members/").content.decode()
    assert signed_in(bo).get(f"/invitations/{invitation.token}/").status_code == 404


def test_revoking_without_htmx_comes_back_to_the_members_with_a_message(signed_in, workspace, owner, invitation):
    response = signed_in(owner).post(f"/w/{workspace.id}/invitations/{invitation.id}/revoke/", follow=True)
    assert "The invitation for bo@example.com was revoked" in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_member_cannot_revoke(signed_in, workspace, invitation, member_of):
    response = signed_in(member_of(workspace, Role.MEMBER)).post(f"/w/{workspace.id}/invitations/{invitation.id}/revoke/")
    assert response.status_code == 403
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_the_invitee_is_emailed_the_link(signed_in, workspace, owner, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(owner).post(f"/w/{workspace.id}/invitations/", {"email": "Cy@Example.com", "role": "admin"},
                                         follow=True)
    invitation = Invitation.objects.get()
    assert "Invitation emailed to cy@example.com" in response.content.decode()
    [mail] = mailoutbox
    assert mail.to == ["cy@example.com"]
    assert workspace.name in mail.subject and owner.name in mail.subject
    assert f"http://testserver/invitations/{invitation.token}/" in mail.body
    assert "as admin" in mail.body
    assert "Send invitation" in response.content.decode()


def test_a_revoked_invitation_is_not_emailed_later(workspace, owner, mailoutbox):
    from workspaces import services

    invitation = Invitation.objects.create(workspace=workspace, email="bo@example.com", invited_by=owner)
    invitation_id = invitation.pk
    invitation.delete()  # revoked before the job ran
    assert services.invitation_email(invitation_id=invitation_id, link="http://x/") is False
    assert mailoutbox == []


def test_without_a_mail_server_the_page_says_to_send_the_link(signed_in, workspace, owner, settings, mailoutbox):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    response = signed_in(owner).post(f"/w/{workspace.id}/invitations/", {"email": "cy@example.com", "role": "member"},
                                     follow=True)
    body = response.content.decode()
    assert "Copy its link below and send it to cy@example.com" in body
    assert "Send it to them." in body and "Create invitation link" in body
