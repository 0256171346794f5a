"""Behind a reverse proxy, `manage.py serve` takes the client's address from the proxy's
X-Forwarded-For (MINA_PROXY_HEADERS): per-address limits count per person, not per proxy."""

import json

import pytest

from tests.faults.clients import http
from tests.faults.processes import running, serve, server_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _sign_in(address, n, forwarded_for):
    body = json.dumps({"email": f"nobody{n}@example.com", "password": "wrong"}).encode()
    status, _ = http(address, "/api/v1/auth/token/", method="POST", body=body, content_type="application/json",
                     headers={"X-Forwarded-For": forwarded_for})
    return status


def test_the_proxys_forwarded_address_is_the_clients_address():
    web = serve(server_env(MINA_PROXY_HEADERS="1", MINA_RATE_SIGN_IN="3/min", MINA_RATE_API_ANON="100/min"))
    with running(web):
        web.start()
        first = [_sign_in(web.address, n, "203.0.113.7") for n in range(4)]
        other = _sign_in(web.address, 9, "203.0.113.8")
        health, _ = http(web.address, "/health/")
    assert first == [401, 401, 401, 429], "one person, whatever account they try"
    assert other == 401, "another person behind the same proxy is not throttled"
    assert health == 200
