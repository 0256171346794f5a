"""Clients of a deployed Mina over HTTPS and WSS: a browser (cookies, CSRF, Origin) and an
app (a JWT), trusting the test's certificate and checking the host name."""

from __future__ import annotations

import http.cookiejar
import json
import re
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from websockets.sync.client import ClientConnection, connect


@dataclass
class Response:
    status: int
    headers: Any
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the caller sees the 3xx itself


class Client:
    """Requests as they are answered (redirects included), cookies kept."""

    def __init__(self, base: str, context: ssl.SSLContext) -> None:
        self.base, self.context = base, context
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), urllib.request.HTTPSHandler(context=context),
            _NoRedirects(), urllib.request.ProxyHandler({}),
        )

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None,
                timeout: float = 30) -> Response:
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=headers or {})
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return Response(response.status, response.headers, response.read())
        except urllib.error.HTTPError as exc:
            return Response(exc.code, exc.headers, exc.read())

    def get(self, path: str, **headers: str) -> Response:
        return self.request("GET", path, headers=headers)

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.cookies if c.name == name and c.value is not None)


class Browser(Client):
    """A signed-in page: forms carry the CSRF token and the page's Origin, as a browser sends them."""

    def sign_in(self, email: str, password: str) -> Response:
        page = self.get("/accounts/sign-in/")
        assert page.status == 200, page.text[:500]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, "no CSRF token on the sign-in page"
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1), "username": email, "password": password})
        return self.request("POST", "/accounts/sign-in/", body=form.encode(), headers={
            "Content-Type": "application/x-www-form-urlencoded", "Origin": self.base,
            "Referer": f"{self.base}/accounts/sign-in/",
        })

    def socket(self, path: str) -> ClientConnection:
        return connect(self.base.replace("https", "wss", 1) + path, ssl=self.context, proxy=None, open_timeout=15,
                       additional_headers={"Cookie": f"sessionid={self.cookie('sessionid')}", "Origin": self.base})


class App(Client):
    """A mobile app: JSON with a Bearer token; sockets with the token as a subprotocol and no Origin."""

    token = ""

    def sign_in(self, email: str, password: str) -> None:
        self.token = self.call("POST", "/api/v1/auth/token/", {"email": email, "password": password})["access"]

    def call(self, method: str, path: str, data: Any = None, expect: int = 200) -> Any:
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = None if data is None else json.dumps(data).encode()
        response = self.request(method, path, body=body, headers=headers)
        assert response.status == expect, f"{method} {path}: {response.status} {response.text[:500]}"
        return response.json() if response.body else None

    def socket(self, path: str) -> ClientConnection:
        return connect(self.base.replace("https", "wss", 1) + path, ssl=self.context, proxy=None, open_timeout=15,
                       subprotocols=["mina.v1", self.token])  # type: ignore[list-item]


def events_until(socket: ClientConnection, wanted: Any, timeout: float) -> list[dict[str, Any]]:
    """Events until one for which `wanted(event)` is true (it is the last one)."""
    seen: list[dict[str, Any]] = []
    while not seen or not wanted(seen[-1]):
        try:
            seen.append(json.loads(socket.recv(timeout=timeout)))
        except TimeoutError:
            raise AssertionError(f"timed out; saw {[e.get('type') for e in seen]}") from None
    return seen
