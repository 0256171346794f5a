from datetime import timedelta

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken


@pytest.fixture
def api():
    return APIClient()


def obtain(api, user):
    response = api.post("/api/v1/auth/token/", {"email": user.email, "password": "a-strong-pass-123"}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_obtain_gives_access_and_refresh(api, owner):
    tokens = obtain(api, owner)
    assert set(tokens) == {"access", "refresh"}


def test_wrong_password_is_401_in_the_error_shape(api, owner):
    response = api.post("/api/v1/auth/token/", {"email": owner.email, "password": "nope"}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_refresh_rotates_and_the_old_refresh_token_is_blacklisted(api, owner):
    tokens = obtain(api, owner)
    first = api.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert first.status_code == 200
    assert first.json()["refresh"] != tokens["refresh"]
    again = api.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert again.status_code == 401


def test_blacklist_revokes_a_refresh_token(api, owner):
    tokens = obtain(api, owner)
    assert api.post("/api/v1/auth/token/blacklist/", {"refresh": tokens["refresh"]}, format="json").status_code == 200
    assert api.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json").status_code == 401


def test_verify(api, owner):
    tokens = obtain(api, owner)
    assert api.post("/api/v1/auth/token/verify/", {"token": tokens["access"]}, format="json").status_code == 200


def test_expired_access_token_says_token_expired(api, owner):
    token = AccessToken.for_user(owner)
    token.set_exp(lifetime=-timedelta(seconds=5))
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = api.post("/api/v1/auth/token/verify/", {"token": str(token)}, format="json")
    assert response.status_code == 401
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"


def test_forged_token_is_refused(api, owner):
    api.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"
