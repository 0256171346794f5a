"""A real webhook receiver on 127.0.0.1 (http.server in a thread) that checks each
request's signature the way docs/api.md tells receivers to."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from integrations import services
from integrations.models import Endpoint
from workspaces.models import Role


class Receiver:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.delay_s = 0.0
        self.secret = ""  # set once the endpoint exists
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                timestamp, signature = self.headers["X-Mina-Timestamp"], self.headers["X-Mina-Signature"]
                expected = (
                    "v1="
                    + hmac.new(receiver.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
                )
                receiver.requests.append(
                    {
                        "headers": dict(self.headers),
                        "body": json.loads(body),
                        "signed": hmac.compare_digest(expected, signature),
                        "fresh": abs(time.time() - int(timestamp)) < 300,
                    }
                )
                time.sleep(receiver.delay_s)
                try:
                    self.send_response(receiver.status)
                    self.end_headers()
                except OSError:  # the sender gave up waiting
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def events(self) -> list[str]:
        return [r["body"].get("type") for r in self.requests]


@pytest.fixture
def receiver() -> Any:
    r = Receiver()
    r.start()
    try:
        yield r
    finally:
        r.stop()


@pytest.fixture(autouse=True)
def _local_receivers_allowed(settings: Any) -> None:
    """The operator setting that lets webhooks reach this machine (tests only call 127.0.0.1)."""
    settings.MINA_WEBHOOKS_ALLOW_PRIVATE = True
    settings.MINA_WEBHOOK_RETRY_BASE_S = 0


@pytest.fixture
def admin_membership(workspace: Any, owner: Any) -> Any:
    return owner.memberships.get(workspace=workspace)


@pytest.fixture
def endpoint(admin_membership: Any, receiver: Receiver) -> Endpoint:
    created = services.endpoint_create(
        membership=admin_membership,
        url=receiver.url,
        events=["meeting.ready", "task.created", "task.updated", "decision.created"],
    )
    receiver.secret = created.secret
    return created


@pytest.fixture
def member_membership(workspace: Any, member_of: Any) -> Any:
    return member_of(workspace, Role.MEMBER).memberships.get(workspace=workspace)
