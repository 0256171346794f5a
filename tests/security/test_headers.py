"""Security headers on every page, partial, error and download; HSTS and secure cookies in production.

A crawler starts from every route the resolver knows (with workspace A's ids) and
follows the links it finds, as nobody, as A's owner (full pages and HTMX partials) and
as an operator in the admin. Every answer must carry the content security policy and
the other headers, and no HTML may hold inline script, inline style or event-handler
attributes (the policy would block them, silently breaking the page).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import deque

import pytest
from django.test import Client, override_settings

from tests.factories import UserFactory
from tests.responses import content_of
from tests.security.routes import page_routes, page_url
from tests.servers import ROOT
from workspaces.models import Role

INLINE = re.compile(
    r"<script(?![^>]*\ssrc=)[^>]*>|<style[\s>]|\sstyle\s*=|\son[a-z]+\s*=|\shx-on[:-]|javascript:", re.IGNORECASE
)
LINK = re.compile(r'href="(/[^"#]*)"')
SKIP = ("/static/", "/media/", "/accounts/sign-out/", "/api/schema/")
MAX_PAGES = 150


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def check_headers(response, where: str) -> None:
    headers = response.headers
    assert "Content-Security-Policy" in headers, f"no CSP at {where}"
    csp = csp_directives(headers["Content-Security-Policy"])
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"], where
    assert csp["base-uri"] == ["'none'"] and csp["default-src"] == ["'self'"], where
    for directive in ("script-src", "style-src"):
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(csp[directive]), (directive, where)
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "same-origin", where
    assert headers.get("X-Frame-Options") == "DENY", where
    if headers.get("Content-Type", "").startswith("text/html"):
        inline = INLINE.findall(response.content.decode())
        assert not inline, f"inline script or style at {where}: {inline[:5]}"


def crawl(client: Client, seeds: list[str], *, htmx: bool = False, limit: int = MAX_PAGES) -> set[str]:
    """Visit the seeds and every same-site link found, checking each answer; return what was seen."""
    seen: set[str] = set()
    queue = deque(seeds)
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen or url.startswith(SKIP) or (url.startswith("/admin/") and "?" in url):
            continue
        seen.add(url)
        for extra in ({}, {"HTTP_HX_REQUEST": "true"}) if htmx else ({},):
            response = client.get(url, **extra)
            assert response.status_code < 500, (url, response.status_code)
            if response.streaming:  # read to the end: closing it early would close the test's database connection
                content_of(response)
            check_headers(response, f"{url}{' (htmx)' if extra else ''} -> {response.status_code}")
        if not response.streaming and response.headers.get("Content-Type", "").startswith("text/html"):
            queue.extend(link.replace("&amp;", "&") for link in LINK.findall(response.content.decode()))
    return seen


def _seeds(tenant) -> list[str]:
    return [page_url(name, route, tenant.ids) for name, route in page_routes()]


def test_every_page_and_partial_carries_the_headers(tenant_a, no_limits):
    client = Client()
    crawl(client, ["/", "/accounts/sign-in/", "/accounts/sign-up/", "/accounts/password-reset/", "/no-such-page/"])
    client.force_login(tenant_a.users[Role.OWNER])
    seen = crawl(client, ["/", *_seeds(tenant_a), "/no-such-page/"], htmx=True)
    assert len(seen) >= 25, sorted(seen)
    assert f"/meetings/{tenant_a.meeting.id}/" in seen


def test_error_answers_carry_the_headers(tenant_a, settings):
    client = Client()
    client.force_login(tenant_a.users[Role.VIEWER])
    forbidden = client.get(f"/w/{tenant_a.workspace.id}/meetings/new/")
    assert forbidden.status_code == 403
    check_headers(forbidden, "403 page")
    partial = client.post(f"/meetings/{tenant_a.meeting.id}/end/", HTTP_HX_REQUEST="true")
    assert partial.status_code == 403
    check_headers(partial, "403 partial")
    assert client.get(f"/meetings/{tenant_a.meeting.id}/end/").status_code == 405
    check_headers(client.get(f"/meetings/{tenant_a.meeting.id}/end/"), "405")
    settings.MINA_RATE_LIMITS = {**settings.MINA_RATE_LIMITS, "sign_in": "1/min"}
    anonymous = Client()
    for _ in range(2):
        throttled = anonymous.post("/accounts/sign-in/", {"username": "x@example.com", "password": "x"})
    assert throttled.status_code == 429
    check_headers(throttled, "429 page")


def test_the_admin_carries_the_headers(tenant_a):
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    seen = crawl(client, ["/admin/", f"/admin/meetings/meeting/{tenant_a.meeting.id}/change/"], limit=20)
    assert any("/change/" in url for url in seen) and len(seen) >= 12, sorted(seen)


def test_api_answers_and_downloads_carry_the_headers(tenant_a, client):
    from tests.api.helpers import client_for

    api = client_for(tenant_a.users[Role.OWNER])
    for url in ["/api/v1/meetings/", f"/api/v1/meetings/{tenant_a.meeting.id}/export/transcript.vtt", "/api/v1/x/"]:
        check_headers(api.get(url), url)
    client.force_login(tenant_a.users[Role.OWNER])
    download = client.get(f"/recordings/{tenant_a.recording.id}/audio?download=1")
    content_of(download)
    check_headers(download, "recording download")
    assert download["Content-Disposition"].startswith("attachment")


# --- Production -----------------------------------------------------------------------

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 30 + "S3cr3t-" + "z" * 30,
    "ALLOWED_HOSTS": "mina.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://mina.example.com",
}
NAMES = [
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS",
    "DEBUG",
]


@pytest.fixture(scope="module")
def production_settings():
    """The security settings as the production environment makes them (read in a fresh process)."""
    script = f"import json; from django.conf import settings as s; print(json.dumps({{n: getattr(s, n) for n in {NAMES!r}}}))"
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "HOST"}}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**environment, **PRODUCTION, "DJANGO_SETTINGS_MODULE": "mina.settings"},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_turns_on_hsts_and_secure_cookies(production_settings):
    values = production_settings
    assert values["DEBUG"] is False
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and values["SECURE_SSL_REDIRECT"]
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] and values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["X_FRAME_OPTIONS"] == "DENY"


def test_production_answers_send_hsts_secure_cookies_and_redirect_to_https(production_settings, owner):
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in production_settings.items() if k != "DEBUG"}
    with override_settings(**values):
        client = Client()
        plain = client.get("/accounts/sign-in/")
        assert plain.status_code == 301 and plain["Location"].startswith("https://")
        assert client.get("/health/").status_code == 200  # the load balancer's probe stays on plain HTTP
        page = client.get("/accounts/sign-in/", secure=True)
        assert page.status_code == 200
        hsts = page["Strict-Transport-Security"]
        assert "max-age=31536000" in hsts and "includeSubDomains" in hsts
        assert page.cookies["csrftoken"]["secure"]
        signed_in = client.post(
            "/accounts/sign-in/", {"username": owner.email, "password": "a-strong-pass-123"}, secure=True
        )
        assert signed_in.status_code == 302
        session = signed_in.cookies[values.get("SESSION_COOKIE_NAME", "sessionid")]
        assert session["secure"] and session["httponly"]
