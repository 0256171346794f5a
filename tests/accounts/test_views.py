import pytest
from django.core import mail

from accounts.models import User


@pytest.mark.django_db
def test_sign_up_creates_the_account_and_signs_in(client):
    response = client.post(
        "/accounts/sign-up/",
        {"email": "Ada@Example.com", "display_name": "Ada", "password1": "a-strong-pass-123", "password2": "a-strong-pass-123"},
    )
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "ada@example.com"
    assert client.get("/", follow=True).status_code == 200


@pytest.mark.django_db
def test_sign_up_refuses_a_weak_password(client):
    response = client.post(
        "/accounts/sign-up/",
        {"email": "a@example.com", "password1": "12345678", "password2": "12345678"},
    )
    assert response.status_code == 200
    assert "too common" in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_sign_in_with_email_and_password(client, owner):
    response = client.post("/accounts/sign-in/", {"username": owner.email, "password": "a-strong-pass-123"})
    assert response.status_code == 302
    assert client.get("/", follow=True).status_code == 200


def test_pages_need_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/sign-in/")


def test_password_reset_sends_a_link(client, owner):
    response = client.post("/accounts/password-reset/", {"email": owner.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/password-reset/" in mail.outbox[0].body


@pytest.mark.django_db
def test_createsuperuser_works_with_email(monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-strong-pass-123")
    call_command("createsuperuser", "--noinput", "--email", "admin@example.com")
    assert User.objects.get(email="admin@example.com").is_superuser
