"""A person's mail settings (time zone, digest hour, summaries and digest on or off), on
their settings page and at /api/v1/me/; a time zone Mina does not know is refused."""

import pytest

from accounts.services import account_update
from core.errors import Invalid
from tests.api.helpers import client_for, error_code
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(db):
    return UserFactory(display_name="Ada")


def test_a_new_account_takes_the_sites_time_zone_and_gets_both_mails_at_eight(ada, settings):
    body = client_for(ada).get("/api/v1/me/").json()
    assert body["time_zone"] == settings.TIME_ZONE
    assert (body["digest_hour"], body["email_summaries"], body["email_digest"]) == (8, True, True)


def test_the_api_changes_the_mail_settings(ada):
    response = client_for(ada).patch(
        "/api/v1/me/", {"time_zone": "Asia/Tokyo", "digest_hour": 7, "email_summaries": False}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["time_zone"] == "Asia/Tokyo"
    ada.refresh_from_db()
    assert (ada.time_zone, ada.digest_hour, ada.email_summaries, ada.email_digest) == ("Asia/Tokyo", 7, False, True)


@pytest.mark.parametrize(
    "change,field",
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"digest_hour": 24}, "digest_hour"),
        ({"digest_hour": -1}, "digest_hour"),
    ],
)
def test_the_api_refuses_a_bad_time_zone_or_hour(ada, change, field, settings):
    response = client_for(ada).patch("/api/v1/me/", change, format="json")
    assert response.status_code == 400
    assert error_code(response) == "validation_error"
    assert list(response.json()["error"]["fields"]) == [field]
    ada.refresh_from_db()
    assert (ada.time_zone, ada.digest_hour) == (settings.TIME_ZONE, 8)


def test_a_bad_time_zone_is_explained(ada):
    response = client_for(ada).patch("/api/v1/me/", {"time_zone": "Europe/Pariss"}, format="json")
    [message] = response.json()["error"]["fields"]["time_zone"]
    assert "“Europe/Pariss” is not a time zone Mina knows" in message and "Europe/Paris" in message


def test_the_settings_page_saves_them(ada, client):
    client.force_login(ada)
    page = client.get("/accounts/settings/")
    assert page.status_code == 200
    body = page.content.decode()
    for field in ("display_name", "time_zone", "digest_hour", "email_summaries", "email_digest"):
        assert f'for="id_{field}"' in body
    assert '<option value="America/New_York">' in body

    data = {"display_name": "Ada L.", "time_zone": "America/New_York", "digest_hour": "6", "email_digest": "on"}
    response = client.post("/accounts/settings/", data)

    assert response.status_code == 302 and response.url == "/accounts/settings/"
    ada.refresh_from_db()
    assert (ada.display_name, ada.time_zone, ada.digest_hour) == ("Ada L.", "America/New_York", 6)
    assert (ada.email_summaries, ada.email_digest) == (False, True)  # an unticked box is off
    assert "Settings saved." in client.get("/accounts/settings/").content.decode()


def test_the_settings_page_refuses_a_bad_time_zone(ada, client, settings):
    client.force_login(ada)
    response = client.post("/accounts/settings/", {"display_name": "Ada", "time_zone": "Mars/Base", "digest_hour": "8"})
    assert response.status_code == 400
    assert "“Mars/Base” is not a time zone Mina knows" in response.content.decode()
    ada.refresh_from_db()
    assert ada.time_zone == settings.TIME_ZONE


def test_the_settings_page_needs_a_sign_in(client):
    response = client.get("/accounts/settings/")
    assert response.status_code == 302 and response.url.startswith("/accounts/sign-in/")


def test_the_service_checks_what_it_is_given(ada, settings):
    with pytest.raises(Invalid) as refused:
        account_update(user=ada, time_zone="Nowhere/At_All")
    assert list(refused.value.fields) == ["time_zone"]
    ada.refresh_from_db()
    assert ada.time_zone == settings.TIME_ZONE
