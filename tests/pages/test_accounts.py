"""Sign up, sign in, sign out and password reset pages."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import override_settings

from accounts.models import User

PASSWORD = "a-strong-pass-123"
pytestmark = pytest.mark.django_db


def _sign_up(client, email="ada@example.com", **extra):
    data = {"email": email, "display_name": "Ada", "password1": PASSWORD, "password2": PASSWORD}
    return client.post("/accounts/sign-up/" + extra.pop("query", ""), data, **extra)


def test_sign_up_page_has_labelled_fields(client):
    body = client.get("/accounts/sign-up/").content.decode()
    for field in ("email", "display_name", "password1", "password2"):
        assert f'for="id_{field}"' in body
    assert "Create your Mina account" in body


def test_sign_up_takes_a_new_user_to_create_their_first_workspace(client):
    response = _sign_up(client)
    assert response.status_code == 302
    response = client.get(response.url, follow=True)
    assert response.redirect_chain[-1][0] == "/workspaces/new/"
    assert "Create your first workspace" in response.content.decode()


def test_sign_up_returns_to_an_invitation(client):
    response = _sign_up(client, query="?next=/invitations/abc/")
    assert response.url == "/invitations/abc/"


def test_sign_up_never_redirects_off_site(client):
    response = _sign_up(client, query="?next=https://evil.example/")
    assert response.url == "/"


def test_sign_up_prefills_the_invited_address(client):
    body = client.get("/accounts/sign-up/?email=bo@example.com").content.decode()
    assert 'value="bo@example.com"' in body


def test_sign_in_rotates_the_session(client, owner):
    client.get("/accounts/sign-in/")
    session = client.session
    session["before"] = "x"
    session.save()
    before = session.session_key
    response = client.post("/accounts/sign-in/", {"username": owner.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session.session_key != before


def test_sign_in_with_a_wrong_password_says_what_to_do(client, owner):
    response = client.post("/accounts/sign-in/", {"username": owner.email, "password": "nope-nope-nope"})
    assert response.status_code == 200
    assert "reset your password" in response.content.decode()


@override_settings(MINA_RATE_LIMITS={"sign_in": "3/min"})
def test_sign_in_is_rate_limited_by_the_email_tried(client, owner):
    for n in range(3):
        # A new address every time: only the email key can catch this.
        client.post("/accounts/sign-in/", {"username": owner.email, "password": "wrong"}, REMOTE_ADDR=f"10.0.0.{n}")
    response = client.post(
        "/accounts/sign-in/", {"username": owner.email, "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    assert response.status_code == 429
    body = response.content.decode()
    assert "Too many attempts" in body
    assert "Try again in" in body


@override_settings(MINA_RATE_LIMITS={"sign_in": "3/min"})
def test_sign_in_is_rate_limited_by_address(client, owner):
    for n in range(3):
        client.post("/accounts/sign-in/", {"username": f"guess{n}@example.com", "password": "wrong"})
    response = client.post("/accounts/sign-in/", {"username": owner.email, "password": PASSWORD})
    assert response.status_code == 429


def test_viewing_the_sign_in_page_is_not_rate_limited(client):
    with override_settings(MINA_RATE_LIMITS={"sign_in": "1/min"}):
        for _ in range(3):
            assert client.get("/accounts/sign-in/").status_code == 200


@override_settings(MINA_RATE_LIMITS={"sign_up": "2/h"})
def test_sign_up_is_rate_limited(client):
    for n in range(2):
        _sign_up(client, email=f"a{n}@example.com")
        client.logout()
    response = _sign_up(client, email="late@example.com")
    assert response.status_code == 429
    assert not User.objects.filter(email="late@example.com").exists()


@override_settings(MINA_RATE_LIMITS={"password_reset": "2/h"})
def test_password_reset_is_rate_limited(client, owner):
    for _ in range(2):
        client.post("/accounts/password-reset/", {"email": owner.email})
    response = client.post("/accounts/password-reset/", {"email": owner.email})
    assert response.status_code == 429
    assert len(mail.outbox) == 2


def test_password_reset_link_sets_a_new_password(client, owner):
    client.post("/accounts/password-reset/", {"email": owner.email})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/password-reset/" in line)
    path = link.split("testserver", 1)[1]
    form_url = client.get(path).url  # Django swaps the token for a session-held one
    response = client.post(form_url, {"new_password1": "another-pass-456", "new_password2": "another-pass-456"})
    assert response.url == "/accounts/password-reset/done/"
    assert "Your password is changed" in client.get(response.url).content.decode()
    assert client.login(username=owner.email, password="another-pass-456")


def test_an_old_reset_link_says_it_expired(client):
    body = client.get("/accounts/password-reset/MQ/bad-token/").content.decode()
    assert "This link has expired" in body


def test_sign_out_is_a_post(client, owner):
    client.force_login(owner)
    assert client.get("/accounts/sign-out/").status_code == 405
    response = client.post("/accounts/sign-out/")
    assert response.status_code == 302
    assert client.get("/").url.startswith("/accounts/sign-in/")
