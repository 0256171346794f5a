"""Production settings fail loudly and pass `check --deploy`."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
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
