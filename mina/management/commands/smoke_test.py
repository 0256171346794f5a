"""Check a fresh deployment end to end, as a client would (the blue-green check).

    python manage.py smoke_test --url https://mina.example.com --email smoke@example.com \
        --password ... --audio short.wav [--word budget] [--workspace ID]
    python manage.py smoke_test --url http://127.0.0.1:8003 --host mina.example.com ...

Health, sign in, pick a workspace, create a meeting, open its socket, upload the audio,
wait for its transcript (and check a word in it), check the socket saw the job's events,
delete the meeting. Each step prints `ok <step>` or `FAILED <step>: <reason>`; the first
failure exits 1, after deleting the meeting if one was made. It talks to the server only
over HTTP(S) and WebSocket, never to a database, so it runs wherever Mina's code is
installed, against any deployment. The account must exist and be a member (or more) of a
workspace: `--workspace` picks one, else the first where it may create.

`--host` checks a web process directly, before the proxy sends it traffic: requests go
to `--url` as the proxy would send them for that name (its `Host`, and
`X-Forwarded-Proto: https`), so ALLOWED_HOSTS and the HTTPS redirect see what they will.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from websockets.exceptions import WebSocketException
from websockets.sync.client import ClientConnection, connect

CREATING_ROLES = ("member", "admin", "owner")
FINISHED = ("done", "failed")


class StepFailed(Exception):
    def __init__(self, step: str, reason: str) -> None:
        super().__init__(f"{step}: {reason}")
        self.step, self.reason = step, reason


class Client:
    """JSON over HTTP(S) with a bearer token; errors come back in Mina's error shape."""

    def __init__(self, url: str, timeout: float, host: str = "") -> None:
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise StepFailed("url", f"{url!r} is not an http:// or https:// address")
        self.url, self.timeout = url.rstrip("/"), timeout
        self.token = ""
        # As a TLS proxy in front would send them (docs/deployment.md).
        self.proxy_headers = {"Host": host, "X-Forwarded-Proto": "https"} if host else {}

    def call(self, method: str, path: str, body: Any = None, *, expect: int = 200,
             content_type: str = "application/json") -> Any:
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json", **self.proxy_headers}
        if data is not None:
            headers["Content-Type"] = content_type
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        # The scheme was checked in __init__: http(s) only.
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except (urllib.error.URLError, OSError) as exc:
            raise RuntimeError(f"{method} {path}: {getattr(exc, 'reason', exc)}") from None
        if status != expect:
            raise RuntimeError(f"{method} {path}: HTTP {status} {_error_text(raw)}")
        return json.loads(raw) if raw else None


def _error_text(raw: bytes) -> str:
    try:
        error = json.loads(raw)["error"]
        return f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return raw[:200].decode("utf-8", "replace")


def _path_of(url: str) -> str:
    """`next` links are absolute; behind a proxy their host may differ from --url."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _multipart(field: str, path: Path) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{path.name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    return head + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


class Watcher:
    """The meeting socket, read on a thread: its events land in a queue."""

    def __init__(self, url: str, token: str, timeout: float) -> None:
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.socket: ClientConnection = connect(url, subprotocols=["mina.v1", token],  # type: ignore[list-item]
                                                open_timeout=timeout, proxy=None)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            for raw in self.socket:
                self.events.put(json.loads(raw))
        except (WebSocketException, OSError, ValueError):
            return

    def next(self, timeout: float) -> dict[str, Any] | None:
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self.socket.close()
        self.thread.join(timeout=5)


class Command(BaseCommand):
    help = "End-to-end check of a running deployment over HTTP and WebSocket; exits 1 naming the failed step."
    requires_system_checks: list[str] = []  # it may run far from the deployment's database

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", required=True, help="the deployment's base URL, e.g. https://mina.example.com")
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--audio", required=True, type=Path, help="a short recording with speech")
        parser.add_argument("--word", default="", help="a word the transcript must contain (any text if empty)")
        parser.add_argument("--workspace", type=int, help="workspace id (default: the first where it may create)")
        parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for the transcript")
        parser.add_argument("--host", default="", help="the public name, to check a web process behind the proxy")

    def handle(self, *args: Any, **options: Any) -> None:
        self.meeting_id: int | None = None
        self.watcher: Watcher | None = None
        try:
            self.client = Client(options["url"], timeout=60, host=options["host"])
            self._run(options)
        except StepFailed as exc:
            self.stdout.write(f"FAILED {exc.step}: {exc.reason}")
            raise SystemExit(1) from None
        finally:
            self._clean_up()

    def step(self, name: str, action: Any) -> Any:
        try:
            result = action()
        except StepFailed:
            raise
        except Exception as exc:
            raise StepFailed(name, str(exc) or type(exc).__name__) from None
        self.stdout.write(f"ok {name}")
        return result

    def _run(self, options: dict[str, Any]) -> None:
        audio: Path = options["audio"]
        if not audio.is_file():
            raise StepFailed("audio", f"no file at {audio}")
        self.step("health", self._health)
        self.step("sign in", lambda: self._sign_in(options["email"], options["password"]))
        workspace = self.step("workspace", lambda: self._workspace(options["workspace"]))
        self.meeting_id = self.step("create meeting", lambda: self._create(workspace))
        self.step("open socket", self._open_socket)
        recording = self.step("upload", lambda: self._upload(audio))
        text = self.step("transcript", lambda: self._transcript(recording, options["word"], options["timeout"]))
        self.stdout.write(f"   heard: {text[:200]}")
        self.step("socket events", self._socket_events)
        self.step("delete meeting", self._delete)

    def _health(self) -> None:
        body = self.client.call("GET", "/health/detailed")
        if body.get("status") != "ok":
            raise RuntimeError(f"components down: {', '.join(body.get('down', []))}")

    def _sign_in(self, email: str, password: str) -> None:
        tokens = self.client.call("POST", "/api/v1/auth/token/", {"email": email, "password": password})
        self.client.token = tokens["access"]

    def _workspace(self, wanted: int | None) -> int:
        page = self.client.call("GET", "/api/v1/workspaces/?limit=500")
        for workspace in page["results"]:
            if (wanted is None or workspace["id"] == wanted) and workspace["role"] in CREATING_ROLES:
                return int(workspace["id"])
        if wanted is not None:
            raise RuntimeError(f"not a member (or more) of workspace {wanted}")
        raise RuntimeError("the account is a member (or more) of no workspace; add it to one first")

    def _create(self, workspace: int) -> int:
        title = f"Smoke test {time.strftime('%Y-%m-%d %H:%M:%S')}"
        meeting = self.client.call("POST", "/api/v1/meetings/", {"workspace": workspace, "title": title}, expect=201)
        return int(meeting["id"])

    def _open_socket(self) -> None:
        url = self.client.url.replace("http", "ws", 1) + f"/ws/meetings/{self.meeting_id}/"
        self.watcher = Watcher(url, self.client.token, timeout=30)
        first = self.watcher.next(timeout=30)
        if first is None or first.get("type") != "snapshot":
            raise RuntimeError(f"expected a snapshot, got {first!r}")

    def _upload(self, audio: Path) -> int:
        body, content_type = _multipart("file", audio)
        recording = self.client.call("POST", f"/api/v1/meetings/{self.meeting_id}/recordings/", body,
                                     expect=201, content_type=content_type)
        return int(recording["id"])

    def _transcript(self, recording_id: int, word: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            recording = self.client.call("GET", f"/api/v1/meetings/{self.meeting_id}/recordings/{recording_id}/")
            if recording["status"] in FINISHED:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"still {recording['status']} ({recording['progress']} %) after {timeout:.0f} s")
            time.sleep(1)
        if recording["status"] == "failed":
            raise RuntimeError(f"the recording failed: {recording['error']}")
        text = " ".join(s["text"] for s in self._segments()).strip()
        if not text:
            raise RuntimeError("the transcript is empty")
        if word and word.lower() not in text.lower():
            raise RuntimeError(f"{word!r} is not in the transcript {text[:200]!r}")
        return text

    def _segments(self) -> list[dict[str, Any]]:
        segments: list[dict[str, Any]] = []
        path: str | None = f"/api/v1/meetings/{self.meeting_id}/segments/?after=0"
        for _ in range(1000):  # pages of 500 segments: far more than a smoke test's audio
            if path is None:
                return segments
            page = self.client.call("GET", path)
            segments += page["results"]
            path = _path_of(page["next"]) if page["next"] else None
        return segments

    def _socket_events(self) -> None:
        """The job's events reached the socket: the channel layer links the processes."""
        assert self.watcher is not None
        deadline = time.monotonic() + 10
        seen: list[str] = []
        while time.monotonic() < deadline:
            event = self.watcher.next(timeout=max(0.0, deadline - time.monotonic()))
            if event is None:
                break
            seen.append(str(event.get("type")))
            if event.get("type") == "meeting.status" and event.get("status") == "ready":
                return
        raise RuntimeError(f"no `meeting.status` ready event on the socket (saw {seen or 'nothing'})")

    def _delete(self) -> None:
        self.client.call("DELETE", f"/api/v1/meetings/{self.meeting_id}/", expect=204)
        self.meeting_id = None

    def _clean_up(self) -> None:
        if self.watcher is not None:
            self.watcher.close()
        if self.meeting_id is not None:
            try:
                self.client.call("DELETE", f"/api/v1/meetings/{self.meeting_id}/", expect=204)
                self.stdout.write(f"   deleted meeting {self.meeting_id}")
            except RuntimeError as exc:
                self.stdout.write(f"   could not delete meeting {self.meeting_id}: {exc}")
