"""The webhooks page of a workspace: admins add, remove and watch their webhooks."""

import pytest

from integrations.models import Endpoint
from meetings.services import task_create
from workspaces.models import Role


def test_an_admin_adds_a_webhook_from_the_page(client, workspace, owner, receiver):
    client.force_login(owner)
    response = client.post(
        f"/w/{workspace.id}/webhooks/", {"url": receiver.url, "events": ["task.created"], "format": "json"}
    )
    assert response.status_code == 302
    endpoint = Endpoint.objects.get()
    assert endpoint.events == ["task.created"] and endpoint.workspace == workspace
    page = client.get(f"/w/{workspace.id}/webhooks/").content.decode()
    assert receiver.url in page and endpoint.secret in page


def test_a_refused_address_shows_on_the_form(client, workspace, owner, settings):
    settings.MINA_WEBHOOKS_ALLOW_PRIVATE = False
    client.force_login(owner)
    response = client.post(
        f"/w/{workspace.id}/webhooks/",
        {"url": "https://169.254.169.254/", "events": ["task.created"], "format": "json"},
    )
    assert response.status_code == 400
    assert "link-local" in response.content.decode()
    assert not Endpoint.objects.exists()


def test_the_navigation_links_the_page_for_admins_only(client, workspace, owner, member_of):
    client.force_login(owner)
    assert f'href="/w/{workspace.id}/webhooks/"' in client.get(f"/w/{workspace.id}/members/").content.decode()
    client.force_login(member_of(workspace, Role.MEMBER))
    assert "webhooks" not in client.get(f"/w/{workspace.id}/members/").content.decode()


def test_a_member_gets_403_and_an_outsider_404(client, workspace, member_of, outsider, endpoint):
    client.force_login(member_of(workspace, Role.MEMBER))
    assert client.get(f"/w/{workspace.id}/webhooks/").status_code == 403
    assert client.post(f"/w/{workspace.id}/webhooks/{endpoint.id}/delete/").status_code == 403
    client.force_login(outsider)
    assert client.get(f"/w/{workspace.id}/webhooks/").status_code == 404
    assert client.post(f"/w/{workspace.id}/webhooks/{endpoint.id}/delete/").status_code == 404
    assert Endpoint.objects.filter(pk=endpoint.pk).exists()


def test_removing_a_webhook_in_place(client, workspace, owner, endpoint):
    client.force_login(owner)
    response = client.post(f"/w/{workspace.id}/webhooks/{endpoint.id}/delete/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.content == b""
    assert not Endpoint.objects.exists()


def test_turning_a_disabled_webhook_back_on(client, workspace, owner, endpoint):
    Endpoint.objects.filter(pk=endpoint.pk).update(is_active=False, disabled_reason="Disabled", consecutive_failures=10)
    client.force_login(owner)
    response = client.post(f"/w/{workspace.id}/webhooks/{endpoint.id}/enable/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Turn back on" not in response.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.consecutive_failures == 0


@pytest.mark.django_db(transaction=True)
def test_the_delivery_log_shows_each_outcome(client, workspace, owner, endpoint, admin_membership, receiver, settings):
    settings.MINA_WEBHOOK_MAX_ATTEMPTS = 1
    task_create(membership=admin_membership, title="One")
    receiver.status = 500
    task_create(membership=admin_membership, title="Two")
    client.force_login(owner)
    log = client.get(f"/w/{workspace.id}/webhooks/deliveries/", headers={"HX-Request": "true"}).content.decode()
    assert log.count("task.created") == 2
    assert "HTTP 200" in log and "HTTP 500" in log and "Delivered" in log and "Failed" in log
