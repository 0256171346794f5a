"""The one rate limit on the API: anonymous, per user, and sign-in per account and address."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from tests.api.helpers import error_code
from tests.factories import UserFactory

PASSWORD = "a-strong-pass-123"


@pytest.fixture
def rates(settings):
    def set_rates(**rates):
        settings.MINA_RATE_LIMITS = {**settings.MINA_RATE_LIMITS, **rates}

    return set_rates


def _sign_in(email, password=PASSWORD, address="10.0.0.1"):
    return APIClient(REMOTE_ADDR=address).post(
        "/api/v1/auth/token/", {"email": email, "password": password}, format="json"
    )


def test_anonymous_requests_are_limited_per_address(rates, db):
    rates(api_anon="2/min")
    client = APIClient(REMOTE_ADDR="10.0.0.9")
    verify = [client.post("/api/v1/auth/token/verify/", {"token": "x"}, format="json") for _ in range(3)]
    assert [r.status_code for r in verify] == [401, 401, 429]
    assert error_code(verify[2]) == "throttled"
    assert "Try again" in verify[2].json()["error"]["message"]
    assert verify[2]["Retry-After"]
    other = APIClient(REMOTE_ADDR="10.0.0.10")
    assert other.post("/api/v1/auth/token/verify/", {"token": "x"}, format="json").status_code == 401


def test_signed_in_requests_are_limited_per_user(rates, owner, as_user):
    rates(api_user="3/min")
    client = as_user(owner)
    assert [client.get("/api/v1/me/").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert as_user(UserFactory()).get("/api/v1/me/").status_code == 200


def test_sign_in_attempts_are_limited_per_account_from_any_address(rates, owner):
    rates(sign_in="3/min", api_anon="100/min")
    codes = [_sign_in(owner.email, "wrong", address=f"10.0.1.{n}").status_code for n in range(3)]
    assert codes == [401, 401, 401]
    response = _sign_in(owner.email, address="10.0.1.99")  # even the right password
    assert response.status_code == 429
    assert error_code(response) == "throttled"
    assert _sign_in(UserFactory().email, address="10.0.1.100").status_code == 200


def test_sign_in_attempts_are_limited_per_address_across_accounts(rates, db):
    rates(sign_in="3/min", api_anon="100/min")
    for n in range(3):
        assert _sign_in(f"nobody{n}@example.com", address="10.0.2.1").status_code == 401
    user = UserFactory()
    assert _sign_in(user.email, address="10.0.2.1").status_code == 429
    assert _sign_in(user.email, address="10.0.2.2").status_code == 200


def test_the_account_key_ignores_case_and_spaces(rates, owner):
    rates(sign_in="1/min", api_anon="100/min")
    _sign_in(owner.email.upper(), "wrong", address="10.0.3.1")
    assert _sign_in(f" {owner.email} ", address="10.0.3.2").status_code == 429


# --- Tokens ---------------------------------------------------------------------------


def test_a_mobile_session_signs_in_refreshes_and_signs_out(owner):
    tokens = _sign_in(owner.email).json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.get("/api/v1/meetings/").status_code == 200
    rotated = client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json").json()
    assert rotated["refresh"] != tokens["refresh"]
    reused = client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert reused.status_code == 401
    assert error_code(reused) == "token_not_valid"
    assert client.post("/api/v1/auth/token/blacklist/", {"refresh": rotated["refresh"]}, format="json").status_code == 200
    assert client.post("/api/v1/auth/token/refresh/", {"refresh": rotated["refresh"]}, format="json").status_code == 401


def test_an_expired_access_token_is_401_token_expired_everywhere(owner, meeting):
    token = AccessToken.for_user(owner)
    token.set_exp(lifetime=-timedelta(seconds=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    for url in ["/api/v1/meetings/", f"/api/v1/meetings/{meeting.id}/", "/api/v1/tasks/", "/api/v1/workspaces/"]:
        response = client.get(url)
        assert response.status_code == 401, url
        assert error_code(response) == "token_expired"
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_unknown_api_paths_answer_in_the_error_shape(owner, as_user):
    response = as_user(owner).get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert error_code(response) == "not_found"


def test_a_forged_forwarded_for_header_does_not_dodge_the_address_limits(rates, db):
    """X-Forwarded-For is whatever the client says: the address is REMOTE_ADDR, which a
    trusted proxy sets through the server (MINA_PROXY_HEADERS)."""
    rates(sign_in="3/min", api_anon="100/min")
    codes = [
        APIClient(REMOTE_ADDR="10.0.2.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").post(
            "/api/v1/auth/token/", {"email": f"nobody{n}@example.com", "password": "x"}, format="json"
        ).status_code
        for n in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    rates(api_anon="2/min")
    verify = [
        APIClient(REMOTE_ADDR="10.0.2.2", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").post(
            "/api/v1/auth/token/verify/", {"token": "x"}, format="json"
        ).status_code
        for n in range(3)
    ]
    assert verify == [401, 401, 429]


def test_the_sign_in_page_and_the_api_share_one_budget(rates, owner, client):
    """An attacker gets no second budget by switching from the API to the page."""
    rates(sign_in="3/min", api_anon="100/min")
    for n in range(2):
        assert _sign_in(owner.email, "wrong", address=f"10.0.4.{n}").status_code == 401
    page = client.post("/accounts/sign-in/", {"username": owner.email, "password": "wrong"}, REMOTE_ADDR="10.0.4.8")
    assert page.status_code == 200  # the form again, with its error
    assert _sign_in(owner.email, address="10.0.4.9").status_code == 429, "the account's attempts are spent"
    again = client.post("/accounts/sign-in/", {"username": owner.email, "password": PASSWORD}, REMOTE_ADDR="10.0.4.10")
    assert again.status_code == 429
