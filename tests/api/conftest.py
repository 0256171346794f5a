from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.api.helpers import client_for


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def as_user() -> Callable[[Any], APIClient]:
    """as_user(user) -> an API client signed in with that user's access token."""
    return client_for
