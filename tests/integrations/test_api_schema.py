"""The webhook operations are in the OpenAPI schema with their error bodies."""

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def openapi(db):
    response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_every_webhook_operation_documents_403_and_404(openapi):
    error = {"$ref": "#/components/schemas/Error"}
    paths = {path: operations for path, operations in openapi["paths"].items() if "/webhooks/" in path}
    assert set(paths) == {
        "/api/v1/workspaces/{workspace_id}/webhooks/",
        "/api/v1/workspaces/{workspace_id}/webhooks/{endpoint_id}/",
        "/api/v1/workspaces/{workspace_id}/webhooks/{endpoint_id}/deliveries/",
    }
    for path, operations in paths.items():
        for method, operation in operations.items():
            for code in ("401", "403", "404", "429"):
                assert operation["responses"][code]["content"]["application/json"]["schema"] == error, (method, path)
    post = paths["/api/v1/workspaces/{workspace_id}/webhooks/"]["post"]
    assert post["responses"]["400"]["content"]["application/json"]["schema"] == error
