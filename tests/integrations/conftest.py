"""A real webhook receiver on 127.0.0.1 (http.server in a thread) that checks each
request's signature the way docs/api.md tells receivers to; a real SMTP server for mail;
the embedded runner's Celery worker."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from integrations import services
from integrations.models import Endpoint
from mina import embedded
from mina.celery import app
from tests.servers import free_port
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


@pytest.fixture
def worker(settings: Any) -> Any:
    """A real Celery worker: the embedded runner's thread, on the memory broker."""
    if settings.SCALED:
        pytest.skip("the embedded runner is for the embedded mode")
    app.conf.task_always_eager = False
    running = embedded.start_worker()
    try:
        yield running
    finally:
        running.stop(in_sighandler=False)
        app.conf.task_always_eager = True


class SmtpServer:
    """Just enough SMTP for smtplib (socketserver in a thread), keeping every message it
    accepts. Not started, or stopped, its port refuses connections: the mail server away."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[email.message.EmailMessage] = []
        self._server: socketserver.ThreadingTCPServer | None = None

    def start(self) -> None:
        messages = self.messages

        class Session(socketserver.StreamRequestHandler):
            def reply(self, text: str) -> None:
                self.wfile.write(text.encode() + b"\r\n")

            def handle(self) -> None:
                self.reply("220 localhost test SMTP")
                for line in iter(self.rfile.readline, b""):
                    verb = line[:4].upper()
                    if verb == b"EHLO":
                        self.reply("250-localhost\r\n250 8BITMIME")
                    elif verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                        self.reply("250 OK")
                    elif verb == b"DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        messages.append(self.read_message())
                        self.reply("250 OK queued")
                    elif verb == b"QUIT":
                        self.reply("221 Bye")
                        return
                    else:
                        self.reply("502 Not implemented")

            def read_message(self) -> email.message.EmailMessage:
                lines = []
                for line in iter(self.rfile.readline, b""):
                    if line.rstrip(b"\r\n") == b".":
                        break
                    lines.append(line[1:] if line.startswith(b".") else line)  # dot-stuffing
                return email.message_from_bytes(b"".join(lines), policy=email.policy.default)  # type: ignore[return-value]

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._server = Server(("127.0.0.1", self.port), Session)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def smtp(settings: Any) -> Any:
    """Django's SMTP backend pointed at a local SMTP server, not started yet: the test
    starts it (or leaves the mail server away)."""
    server = SmtpServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 5
    try:
        yield server
    finally:
        server.stop()
