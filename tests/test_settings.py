"""Production settings fail loudly and pass `check --deploy`."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_manage(*args, **env):
    unset = {"DEBUG", "HOST", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"}
    base = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**base, "DJANGO_SETTINGS_MODULE": "mina.settings", **env},
    )


def test_missing_secret_key_stops_start_up_naming_it():
    result = run_manage("check", DEBUG="0", ALLOWED_HOSTS="mina.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_allowed_hosts_stops_start_up_naming_it():
    result = run_manage("check", DEBUG="0", SECRET_KEY="x" * 60)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_debug_cannot_be_on_for_a_public_address():
    result = run_manage("check", DEBUG="1", HOST="0.0.0.0")
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_check_deploy_is_clean_with_the_documented_production_variables():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="0", SECRET_KEY="k" * 30 + "S3cr3t-" + "z" * 30, ALLOWED_HOSTS="mina.example.com",
        CSRF_TRUSTED_ORIGINS="https://mina.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def settings_of(*names, **env):
    script = f"from django.conf import settings as s; print(*(repr(getattr(s, n)) for n in {names!r}), sep='|')"
    result = run_manage("shell", "-c", script, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1].split("|")


def test_a_server_started_without_debug_is_in_production_and_needs_a_secret_key():
    """Daphne or Celery started directly, as the deployment recipes do: no DEBUG, no HOST."""
    result = run_manage("check")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_the_exported_secret_key_and_hosts_are_used_when_host_is_not_set():
    debug, hosts, key = settings_of(
        "DEBUG", "ALLOWED_HOSTS", "SECRET_KEY", SECRET_KEY="exported-" + "k" * 50, ALLOWED_HOSTS="mina.local"
    )
    assert (debug, hosts, key) == ("False", "['mina.local']", repr("exported-" + "k" * 50))


def test_debug_is_on_only_when_asked_for():
    assert settings_of("DEBUG", DEBUG="1") == ["True"]


def test_sql_is_logged_with_debug_off_too(tmp_path):
    result = run_manage(
        "shell", "-c", "from django.db import connection; connection.cursor().execute('SELECT 4321')",
        DEBUG="0", SECRET_KEY="k" * 50, ALLOWED_HOSTS="mina.local", MINA_LOG_SQL="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert result.returncode == 0, result.stderr
    assert "django.db.backends" in result.stdout and "SELECT 4321" in result.stdout


def make_run(*args):
    result = subprocess.run(["make", "-n", "run", *args], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={k: v for k, v in os.environ.items() if k not in {"DEBUG", "HOST"}})
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_run_debugs_on_loopback_and_serves_collected_static_files_elsewhere():
    local, public = make_run(), make_run("HOST=0.0.0.0")
    assert "DEBUG=1 HOST=127.0.0.1" in local and "collectstatic" not in local
    assert "DEBUG=0 HOST=0.0.0.0" in public and "DEBUG=0 .venv/bin/python manage.py collectstatic" in public


def test_numpy_blas_runs_on_one_thread_in_every_django_process():
    # Its idle helper threads spin beside Whisper's decodes and cost a live stream ~40 % more
    # CPU (transcription/apps.py); manage.py serve, Daphne and Celery all set Django up.
    script = "from threadpoolctl import threadpool_info; print(sorted({i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'}))"
    result = run_manage("shell", "-c", script, DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[1]"
