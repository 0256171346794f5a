from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Any:
    # The rate-limit counters live in the cache; one test's sign-ins must not throttle the next.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def signed_in(client: Any) -> Any:
    """signed_in(user) -> the test client, signed in as `user`."""

    def sign_in(user: Any) -> Any:
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # Every factory user hashes a password; the production hasher takes ~0.3 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
