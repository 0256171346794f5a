"""/api/v1/workspaces/<id>/webhooks/: admins only, scoped to their workspace."""

import pytest
from rest_framework.test import APIClient

from integrations.models import Delivery, Endpoint
from meetings.services import task_create
from tests.api.helpers import client_for, error_code
from workspaces.models import Role


def _url(workspace, *rest):
    return f"/api/v1/workspaces/{workspace.id}/webhooks/" + "".join(f"{part}/" for part in rest)


def test_an_admin_registers_lists_and_deletes_an_endpoint(workspace, owner, receiver):
    client = client_for(owner)
    response = client.post(
        _url(workspace),
        {"url": receiver.url, "events": ["task.created", "meeting.ready"], "format": "slack"},
        format="json",
    )
    assert response.status_code == 201
    created = response.json()
    assert created["events"] == ["meeting.ready", "task.created"]
    assert created["format"] == "slack" and created["is_active"] and created["secret"].startswith("whsec_")
    listed = client.get(_url(workspace)).json()
    assert [e["id"] for e in listed["results"]] == [created["id"]]
    assert client.get(_url(workspace, created["id"])).json()["url"] == receiver.url
    assert client.delete(_url(workspace, created["id"])).status_code == 204
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [("https://10.0.0.7/hook", "private"), ("http://93.184.215.14/hook", "https://"), ("not a url", "https://")],
)
def test_a_refused_address_is_a_400_naming_the_field(workspace, owner, settings, url, message):
    settings.MINA_WEBHOOKS_ALLOW_PRIVATE = False
    response = client_for(owner).post(_url(workspace), {"url": url, "events": ["task.created"]}, format="json")
    assert response.status_code == 400
    assert error_code(response) == "validation_error"
    assert message in response.json()["error"]["fields"]["url"][0]
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize("events", [[], ["meeting.deleted"], "task.created"])
def test_unknown_or_missing_events_are_a_400(workspace, owner, receiver, events):
    response = client_for(owner).post(_url(workspace), {"url": receiver.url, "events": events}, format="json")
    assert response.status_code == 400
    assert "events" in response.json()["error"]["fields"]


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MEMBER])
def test_members_below_admin_get_403(workspace, member_of, endpoint, role):
    client = client_for(member_of(workspace, role))
    assert client.get(_url(workspace)).status_code == 403
    response = client.post(
        _url(workspace), {"url": "https://93.184.215.14/", "events": ["task.created"]}, format="json"
    )
    assert response.status_code == 403
    assert client.delete(_url(workspace, endpoint.id)).status_code == 403
    assert client.get(_url(workspace, endpoint.id, "deliveries")).status_code == 403
    assert Endpoint.objects.count() == 1


def test_another_workspace_is_404_and_its_endpoints_stay(workspace, outsider, endpoint):
    client = client_for(outsider)
    assert client.get(_url(workspace)).status_code == 404
    assert client.delete(_url(workspace, endpoint.id)).status_code == 404
    assert client.get(_url(workspace, endpoint.id, "deliveries")).status_code == 404
    # Its own workspace with another's endpoint id: 404 too.
    own = outsider.memberships.get().workspace
    assert client.delete(_url(own, endpoint.id)).status_code == 404
    assert client.get(_url(own, endpoint.id, "deliveries")).status_code == 404
    assert Endpoint.objects.filter(pk=endpoint.pk).exists()


def test_not_signed_in_is_401(workspace):
    assert APIClient().get(_url(workspace)).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_deliveries_are_listed_newest_first_with_their_outcome(workspace, owner, endpoint, admin_membership):
    task_create(membership=admin_membership, title="One")
    task_create(membership=admin_membership, title="Two")
    response = client_for(owner).get(_url(workspace, endpoint.id, "deliveries"))
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["id"] for r in results] == list(Delivery.objects.order_by("-id").values_list("id", flat=True))
    assert {(r["event"], r["status"], r["attempts"], r["response_code"]) for r in results} == {
        ("task.created", "delivered", 1, 200)
    }
