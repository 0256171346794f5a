"""The audit log records who did what, when and from where."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import audit
from accounts.models import AuditEvent
from meetings import services as meeting_services
from workspaces import services
from workspaces.models import Role


def test_a_failed_sign_in_is_recorded_with_the_address(client, owner):
    client.post("/accounts/sign-in/", {"username": owner.email, "password": "wrong"}, REMOTE_ADDR="203.0.113.9")
    event = AuditEvent.objects.get(action="sign_in_failed")
    assert event.target == f"email:{owner.email}"
    assert event.ip == "203.0.113.9"


def test_a_failed_token_request_is_recorded(client, owner):
    client.post("/api/v1/auth/token/", {"email": owner.email, "password": "wrong"}, content_type="application/json")
    assert AuditEvent.objects.filter(action="sign_in_failed").exists()


def test_role_changes_invitations_and_deletions_are_recorded(workspace, owner, member_of, meeting):
    actor = owner.memberships.get()
    member = member_of(workspace, Role.MEMBER).memberships.get()
    services.membership_change_role(actor=actor, target=member, role=Role.ADMIN)
    services.invitation_create(membership=actor, email="new@example.com")
    meeting_id = meeting.pk
    meeting_services.meeting_delete(meeting=meeting, membership=actor)
    events = {e.action: e for e in AuditEvent.objects.all()}
    assert events["role_changed"].details == {"before": "member", "after": "admin"}
    assert events["role_changed"].actor == owner and events["role_changed"].workspace == workspace
    assert events["invitation_created"].target == "email:new@example.com"
    assert events["meeting_deleted"].target == f"meeting:{meeting_id}"


def test_the_admin_shows_audit_events_read_only(admin_client, owner):
    audit.record("sign_in_failed", target="email:x@example.com")
    event = AuditEvent.objects.get()
    assert admin_client.get("/admin/accounts/auditevent/").status_code == 200
    assert admin_client.post(f"/admin/accounts/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.exists()


def test_retention_purges_old_events(settings, db):
    settings.MINA_AUDIT_RETENTION_DAYS = 30
    audit.record("sign_in_failed", target="email:old@example.com")
    audit.record("sign_in_failed", target="email:new@example.com")
    AuditEvent.objects.filter(target="email:old@example.com").update(created_at=timezone.now() - timedelta(days=31))
    assert audit.purge_expired() == 1
    assert list(AuditEvent.objects.values_list("target", flat=True)) == ["email:new@example.com"]


pytestmark = pytest.mark.django_db
