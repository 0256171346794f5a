"""Mina deployed as docs/deployment.md says, used through its HTTPS address."""

from __future__ import annotations

import pytest

from tests.conftest import SPEECH
from tests.deploy.clients import Client
from tests.deploy.scenario import WORD, check_a_deployment
from tests.deploy.stack import BIN, EMAIL, PASSWORD, Process, caddy, health_ok, mina_manage, require
from tests.servers import free_port

pytestmark = [pytest.mark.deploy, pytest.mark.slow]


def test_behind_nginx_it_signs_in_serves_hashed_static_files_the_api_and_a_live_meeting(recorded):
    assert WORD in recorded.transcript.lower()
    assert recorded.audio.startswith(b"OggS")  # played through the proxy from its signed link, compressed


def test_behind_caddy_it_does_the_same(stack, certificate):
    require("caddy")
    recorded = check_a_deployment(caddy(stack, certificate), certificate.context())
    assert WORD in recorded.transcript.lower() and recorded.audio.startswith(b"OggS")


def test_nginx_sends_plain_http_to_https_and_django_refuses_hosts_it_does_not_serve(proxy, certificate):
    plain = Client(proxy.http, certificate.context()).get("/accounts/sign-in/")
    assert plain.status == 301 and plain.headers["Location"] == "https://localhost/accounts/sign-in/"
    assert Client(proxy.https, certificate.context()).get("/accounts/sign-in/", Host="evil.example").status == 400


def test_check_deploy_is_clean_with_the_environment_file_alone(stack):
    result = mina_manage(stack.env_file, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0 and "no issues" in result.stdout, result.stdout + result.stderr


def test_the_blue_green_check_passes_on_a_web_process_before_the_proxy_sends_it_traffic(stack):
    """docs/deployment.md's smoke test, straight to the `web` process as the proxy would call it."""
    result = mina_manage(
        stack.env_file, "smoke_test", "--url", f"http://127.0.0.1:{stack.web_port}", "--host", "localhost",
        "--email", EMAIL, "--password", PASSWORD, "--audio", str(SPEECH / "short.wav"), "--word", WORD,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert len([line for line in result.stdout.splitlines() if line.startswith("ok ")]) == 9, result.stdout


def test_daphnes_own_tls_endpoint_serves_the_same_without_a_proxy(stack, certificate):
    """docs/deployment.md's recipe without a proxy, on the same database, Redis and worker."""
    port = free_port()
    daphne = Process("daphne-tls", [str(BIN / "daphne"), "-e",
                                    f"ssl:{port}:privateKey={certificate.key}:certKey={certificate.cert}",
                                    "--websocket_timeout", "-1", "--access-log", "/dev/null",
                                    "mina.asgi:application"], stack.env)
    base = f"https://localhost:{port}"
    stack.start((daphne, lambda: health_ok(base, certificate.context())))
    recorded = check_a_deployment(base, certificate.context())
    assert WORD in recorded.transcript.lower()
