"""Mina in production on this machine, set up as docs/deployment.md and deploy/ say.

A fresh PostgreSQL database, a private Redis, the environment of deploy/mina.env, the
`Procfile`'s `release`, `web`, `worker` and `beat`, `collectstatic`, and in front a real
nginx running deploy/nginx/mina.conf (or Caddy running deploy/caddy/Caddyfile) with a
certificate made here. Every process runs on a free port, logs to a file and is stopped
by its pid; the database is dropped at the end.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from tests.faults.processes import Process, Redis, wait_for
from tests.servers import ROOT, free_port

DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
SBIN_PATH = f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin"
# What a service manager gives a process besides its environment file.
SYSTEM_VARIABLES = ("HOME", "LANG", "LC_ALL", "TMPDIR", "USER", "LOGNAME")
EMAIL, PASSWORD = "deploy-check@example.com", "a-long-deploy-check-password"


def tool(name: str) -> str | None:
    return shutil.which(name, path=SBIN_PATH)


def require(*names: str) -> None:
    """Skip without these programs (apt-get install …); fail instead under MINA_REQUIRE_DEPLOY=1."""
    missing = [name for name in names if tool(name) is None]
    if not missing:
        return
    reason = f"needs {', '.join(missing)} (Debian: apt-get install nginx caddy openssl postgresql-client redis-server)"
    if os.environ.get("MINA_REQUIRE_DEPLOY") == "1":
        pytest.fail(f"{reason}; MINA_REQUIRE_DEPLOY=1 makes this a failure")
    pytest.skip(reason)


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def context(self) -> ssl.SSLContext:
        """A client that trusts this certificate and checks the host name, as a browser would."""
        return ssl.create_default_context(cafile=str(self.cert))


def make_certificate(folder: Path) -> Certificate:
    cert, key = folder / "mina.crt", folder / "mina.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", str(key),
         "-out", str(cert), "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )
    return Certificate(cert, key)


def postgres_server() -> str:
    """The run's PostgreSQL server (DATABASE_URL without its database name)."""
    parts = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    return f"{parts.scheme}://{parts.netloc}"


@contextmanager
def fresh_database(server: str) -> Iterator[str]:
    name = f"mina_deploy_{uuid.uuid4().hex[:10]}"
    admin(server, f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def admin(server: str, sql: str) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=10) as connection:
        connection.execute(sql)  # type: ignore[arg-type]


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def environment_file(target: Path, **values: str) -> dict[str, str]:
    """deploy/mina.env with this run's addresses and secrets, written to `target`; its variables."""
    lines, seen = [], set()
    for line in (DEPLOY / "mina.env").read_text().splitlines():
        name = line.split("=", 1)[0].strip() if "=" in line and not line.lstrip().startswith("#") else ""
        if name in values:
            line = f"{name}={values[name]}"
            seen.add(name)
        lines.append(line)
    assert seen == set(values), f"deploy/mina.env no longer sets {set(values) - seen}"
    target.write_text("\n".join(lines) + "\n")
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.lstrip().startswith("#"))


def environment(env_file: Path, **values: str) -> dict[str, str]:
    """What a service manager gives a process: the environment file and little else (none
    of the test run's own environment: test settings, DEBUG, eager jobs)."""
    system = {name: os.environ[name] for name in SYSTEM_VARIABLES if name in os.environ}
    variables = environment_file(env_file, **values)
    return {**system, **variables, "PATH": f"{BIN}:{SBIN_PATH}", "PYTHONUNBUFFERED": "1"}


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, f"manage.py {args[0]} failed:\n{result.stdout[-2000:]}{result.stderr[-3000:]}"
    return result.stdout


def mina_manage(env_file: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """deploy/mina-manage, as an operator runs manage.py on the server: the file is all it has."""
    return subprocess.run([str(DEPLOY / "mina-manage"), *args], capture_output=True, text=True, timeout=timeout,
                          env={"PATH": "/usr/bin:/bin", "MINA_ENV_FILE": str(env_file), "MINA_APP": str(ROOT),
                               "MINA_PYTHON": sys.executable})


def procfile_process(name: str, env: dict[str, str]) -> Process:
    """A `Procfile` line as a platform runs it: through the shell, in the project folder."""
    return Process(name, ["sh", "-c", f"exec {procfile()[name]}"], env)


@dataclass
class Stack:
    env: dict[str, str]
    web_port: int
    folder: Path
    processes: list[Process] = field(default_factory=list)

    @property
    def env_file(self) -> Path:
        return self.folder / "mina.env"

    def start(self, *processes: tuple[Process, str | Callable[[], bool]]) -> None:
        """Start them together, then wait until each logs its `ready` text (or `ready()` holds)."""
        for process, _ in processes:
            self.processes.append(process)
            process.start()
        for process, ready in processes:
            _wait_until_ready(process, ready)

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()


@contextmanager
def production(folder: Path) -> Iterator[Stack]:
    """The deployment recipe, step by step; every process stopped on the way out."""
    redis = Redis()
    with fresh_database(postgres_server()) as database:
        stack = Stack(env={}, web_port=free_port(), folder=folder)
        stack.env = environment(
            stack.env_file,
            SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="localhost", CSRF_TRUSTED_ORIGINS="https://localhost",
            DATABASE_URL=database, REDIS_URL=redis.url, CELERY_BROKER_URL=redis.url.replace("/0", "/1"),
            MEDIA_ROOT=str(folder / "media"),
            MINA_DATA_DIR=str(folder / "data"),
            STATIC_ROOT=str(folder / "static"),
        )
        try:
            stack.start((redis, "Ready to accept connections"))
            release_and_collect_static(stack.env)
            manage(stack.env, "shell", "-c", SMOKE_ACCOUNT.format(email=EMAIL, password=PASSWORD))
            web_env = {**stack.env, "PORT": str(stack.web_port)}
            stack.start(
                (procfile_process("web", web_env), lambda: health_ok(f"http://localhost:{stack.web_port}")),
                (procfile_process("worker", stack.env), " ready."),
                (procfile_process("beat", stack.env), "beat: Starting"),
            )
            yield stack
        finally:
            stack.stop()


def release_and_collect_static(env: dict[str, str]) -> None:
    """The Procfile's `release` and `collectstatic`, side by side: neither needs the other."""
    static = subprocess.Popen([str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        subprocess.run(["sh", "-c", procfile()["release"]], cwd=ROOT, env=env, check=True, capture_output=True,
                       timeout=180)
        output, _ = static.communicate(timeout=180)
    finally:
        if static.poll() is None:
            static.kill()
            static.wait()
    assert static.returncode == 0, f"collectstatic failed:\n{output[-3000:]}"


# docs/deployment.md: the account for checks, a member of a workspace of its own.
SMOKE_ACCOUNT = (
    "from accounts.models import User; from workspaces.services import workspace_create; "
    "workspace_create(user=User.objects.create_user('{email}', '{password}'), name='Deploy check')"
)


# --- The proxy -------------------------------------------------------------------------


def nginx_site(*, web_port: int, https_port: int, http_port: int, certificate: Certificate, logs: Path) -> str:
    """deploy/nginx/mina.conf, with this machine's names, ports and paths."""
    site = (DEPLOY / "nginx" / "mina.conf").read_text()
    replacements = {
        "/etc/letsencrypt/live/mina.example.com/fullchain.pem": str(certificate.cert),
        "/etc/letsencrypt/live/mina.example.com/privkey.pem": str(certificate.key),
        "mina.example.com": "localhost",
        "/var/log/nginx/": f"{logs}/",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{web_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        # IPv6 may be off on a test machine; the IPv4 lines stand for them.
        "listen [::]:443 ssl http2;": "",
        "listen [::]:80;": "",
    }
    for old, new in replacements.items():
        assert old in site, f"deploy/nginx/mina.conf no longer says {old!r}"
        site = site.replace(old, new)
    return site


# What /etc/nginx/nginx.conf gives a site on Debian, in a folder of the test's own.
NGINX_MAIN = """daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log info;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/sites-enabled/mina;
}}
"""


@dataclass(frozen=True)
class Proxy:
    https: str
    http: str


def nginx(stack: Stack, certificate: Certificate) -> tuple[Process, Proxy]:
    folder = stack.folder / "nginx"
    (folder / "sites-enabled").mkdir(parents=True)
    folder.chmod(0o777)  # nginx's workers drop root and write their temporary files here
    https_port, http_port = free_port(), free_port()
    site = nginx_site(web_port=stack.web_port, https_port=https_port, http_port=http_port,
                      certificate=certificate, logs=folder)
    (folder / "sites-enabled" / "mina").write_text(site)
    (folder / "nginx.conf").write_text(NGINX_MAIN.format(folder=folder))
    binary = tool("nginx")
    assert binary is not None
    process = Process("nginx", [binary, "-p", str(folder), "-c", str(folder / "nginx.conf"),
                                "-e", str(folder / "error.log")])
    stack.start((process, lambda: _listening(https_port)))
    return process, Proxy(https=f"https://localhost:{https_port}", http=f"http://localhost:{http_port}")


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _wait_until_ready(process: Process, ready: str | Callable[[], bool]) -> None:
    if isinstance(ready, str):
        process.wait_for_log(ready, timeout=90)
    else:
        wait_for(lambda: _alive(process) and ready(), 90, f"{process.name} to serve", every=0.2)


def _alive(process: Process) -> bool:
    if not process.alive():
        raise AssertionError(f"{process.name} exited:\n{process.log()}")
    return True


def health_ok(base: str, context: ssl.SSLContext | None = None) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/health/", timeout=2, context=context) as response:  # noqa: S310
            return bool(response.status == 200)
    except OSError:
        return False


def caddyfile(*, web_port: int, https_port: int, certificate: Certificate, folder: Path) -> str:
    """deploy/caddy/Caddyfile with this machine's name, port and certificate (Caddy would get
    one from Let's Encrypt for a public name), no admin endpoint and no port 80."""
    text = (DEPLOY / "caddy" / "Caddyfile").read_text()
    replacements = {
        "mina.example.com {": f"localhost:{https_port} {{\n\tbind 127.0.0.1\n\ttls {certificate.cert} {certificate.key}",
        "reverse_proxy 127.0.0.1:8000": f"reverse_proxy 127.0.0.1:{web_port}",
    }
    for old, new in replacements.items():
        assert old in text, f"deploy/caddy/Caddyfile no longer says {old!r}"
        text = text.replace(old, new)
    options = f"{{\n\tadmin off\n\tauto_https disable_redirects\n\tstorage file_system {folder}/data\n}}\n"
    return options + text


def caddy(stack: Stack, certificate: Certificate) -> str:
    folder = stack.folder / "caddy"
    folder.mkdir()
    https_port = free_port()
    config = folder / "Caddyfile"
    config.write_text(caddyfile(web_port=stack.web_port, https_port=https_port, certificate=certificate,
                                folder=folder))
    binary = tool("caddy")
    assert binary is not None
    home = {"HOME": str(folder), "XDG_DATA_HOME": str(folder), "XDG_CONFIG_HOME": str(folder)}
    process = Process("caddy", [binary, "run", "--config", str(config), "--adapter", "caddyfile"],
                      {**os.environ, **home})
    stack.start((process, lambda: _listening(https_port)))
    return f"https://localhost:{https_port}"
