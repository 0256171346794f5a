"""Two concurrent refreshes of one rotated refresh token: at most one succeeds."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

pytestmark = pytest.mark.django_db(transaction=True)


def test_only_one_of_two_racing_refreshes_wins(owner):
    if connection.vendor != "postgresql":
        pytest.skip("races are tested on PostgreSQL (SQLite serialises writers anyway)")
    refresh = str(RefreshToken.for_user(owner))
    barrier = threading.Barrier(2)
    results = []

    def use_it():
        client = APIClient()
        barrier.wait()
        response = client.post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")
        results.append(response.status_code)
        connection.close()

    threads = [threading.Thread(target=use_it) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [200, 401]


def test_refresh_still_rotates(owner):
    client = APIClient()
    refresh = str(RefreshToken.for_user(owner))
    first = client.post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")
    assert first.status_code == 200
    assert client.post("/api/v1/auth/token/refresh/", {"refresh": first.json()["refresh"]}, format="json").status_code == 200
    assert client.post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json").status_code == 401
