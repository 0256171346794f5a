"""deploy/: the systemd units, the nginx site and the Caddyfile are valid as shipped, and
the units run what the Procfile runs."""

from __future__ import annotations

import configparser
import os
import subprocess

import pytest

from tests.deploy.stack import BIN, DEPLOY, NGINX_MAIN, make_certificate, nginx_site, procfile, require, tool

VENV_BIN = "/srv/mina/app/.venv/bin/"


def require_tool(name: str) -> str:
    require(name)
    path = tool(name)
    assert path is not None
    return path


def unit(name: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / "systemd" / f"mina-{name}.service")
    return parser["Service"]


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
def test_each_unit_runs_as_mina_with_the_environment_file_and_comes_back_after_a_crash(name):
    service = unit(name)
    assert (service["User"], service["Group"]) == ("mina", "mina")
    assert service["EnvironmentFile"] == "/etc/mina/mina.env"
    assert service["Restart"] == "always"
    assert service["ExecStart"].startswith(VENV_BIN)


def test_worker_and_beat_run_the_procfiles_commands():
    for name in ("worker", "beat"):
        assert unit(name)["ExecStart"].removeprefix(VENV_BIN) == procfile()[name]


def test_web_runs_the_procfiles_daphne_on_loopback_behind_the_proxy():
    ours = unit("web")["ExecStart"].removeprefix(VENV_BIN).split()
    theirs = procfile()["web"].split()
    assert set(ours) - set(theirs) == {"127.0.0.1", "8000", "--proxy-headers"}
    assert set(theirs) - set(ours) == {"0.0.0.0", "${PORT:-8000}"}


def test_systemd_finds_nothing_wrong_in_the_units(tmp_path):
    analyze = require_tool("systemd-analyze")
    for path in (DEPLOY / "systemd").glob("*.service"):
        # The programs must exist for `verify`: this checkout's instead of /srv/mina/app's.
        (tmp_path / path.name).write_text(path.read_text().replace(VENV_BIN, f"{BIN}/"))
        result = subprocess.run([analyze, "verify", str(tmp_path / path.name)], capture_output=True, text=True,
                                timeout=60)
        assert (result.returncode, result.stdout + result.stderr) == (0, ""), path.name


def test_nginx_accepts_the_site(tmp_path):
    nginx, _ = require_tool("nginx"), require_tool("openssl")
    (tmp_path / "sites-enabled").mkdir()
    site = nginx_site(web_port=8000, https_port=8443, http_port=8080, logs=tmp_path,
                      certificate=make_certificate(tmp_path))  # `nginx -t` loads it
    (tmp_path / "sites-enabled" / "mina").write_text(site)
    (tmp_path / "nginx.conf").write_text(NGINX_MAIN.format(folder=tmp_path))
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                             "-e", str(tmp_path / "error.log")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_caddy_accepts_the_caddyfile(tmp_path):
    caddy = require_tool("caddy")
    result = subprocess.run([caddy, "validate", "--config", str(DEPLOY / "caddy" / "Caddyfile"),
                             "--adapter", "caddyfile"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path),
                                 "XDG_CONFIG_HOME": str(tmp_path)})
    assert result.returncode == 0 and "Valid configuration" in result.stdout + result.stderr, result.stderr
