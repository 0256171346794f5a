from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from workspaces.models import Role

ROLES = [Role.VIEWER, Role.MEMBER, Role.ADMIN, Role.OWNER]


def client_for(user: Any) -> APIClient:
    """A client that signs its requests with a real access token, as a mobile app does."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


def error_code(response: Any) -> str:
    """The error's code, after checking the body has the one error shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    assert body["error"]["message"], body
    return str(body["error"]["code"])


def queries_for(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(context.captured_queries)


def quick_users(count: int) -> list[Any]:
    """Users without a password hash: fast enough to make fifty for a query-count test."""
    from accounts.models import User

    start = User.objects.count()
    return User.objects.bulk_create(
        [User(email=f"quick{start + n}@example.com", display_name=f"Quick {n}") for n in range(count)]
    )
