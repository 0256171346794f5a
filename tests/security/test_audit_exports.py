"""Every download of a transcript or summary is on record: who, what, when, from where."""

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from tests.api.helpers import client_for
from workspaces.models import Role

EXPORTS = ["transcript.txt", "transcript.srt", "transcript.vtt", "summary.md"]


@pytest.mark.parametrize("export", EXPORTS)
def test_an_api_export_is_audited(export, tenant_a):
    viewer = tenant_a.users[Role.VIEWER]
    client = client_for(viewer)
    started = timezone.now()
    response = client.get(f"/api/v1/meetings/{tenant_a.meeting.id}/export/{export}", REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="export")
    assert event.actor == viewer
    assert event.workspace == tenant_a.workspace
    assert event.target == f"meeting:{tenant_a.meeting.id}"
    assert event.details == {"export": export}
    assert event.ip == "198.51.100.7"
    assert event.created_at >= started


def test_a_refused_export_is_not_audited(tenant_a, tenant_b):
    client = client_for(tenant_b.users[Role.OWNER])
    assert client.get(f"/api/v1/meetings/{tenant_a.meeting.id}/export/transcript.txt").status_code == 404
    tenant_a.summary.delete()
    owner = client_for(tenant_a.users[Role.OWNER])
    assert owner.get(f"/api/v1/meetings/{tenant_a.meeting.id}/export/summary.md").status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()


@pytest.mark.parametrize("export", EXPORTS)
def test_a_page_export_is_audited(export, tenant_a, client):
    client.force_login(tenant_a.users[Role.VIEWER])
    response = client.get(f"/meetings/{tenant_a.meeting.id}/export/{export}", REMOTE_ADDR="198.51.100.8")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="export")
    assert (event.actor, event.workspace, event.target) == (
        tenant_a.users[Role.VIEWER],
        tenant_a.workspace,
        f"meeting:{tenant_a.meeting.id}",
    )
    assert event.details == {"export": export} and event.ip == "198.51.100.8"
