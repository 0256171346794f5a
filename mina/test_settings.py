"""Settings for the test suite: the real settings with test-friendly defaults.

Environment variables are set before the settings module reads them, so a server
started by a test in a subprocess (with this module) behaves the same way.
"""

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("DEBUG", "1")
# Jobs run inline unless a test starts a real worker.
os.environ.setdefault("MINA_JOBS_EAGER", "1")
# Audio is fed faster than real time; partial skipping would make tests flaky.
os.environ.setdefault("MINA_REALTIME_SLACK", "1000")
os.environ.setdefault("MINA_SKIP_PARTIALS_WHEN_BUSY", "0")
os.environ.setdefault("MINA_START_TIMEOUT_S", "1")
# Per process, so two suites on one machine never share files or a database.
os.environ.setdefault("MEDIA_ROOT", str(_ROOT / ".test-media" / str(os.getpid())))

from mina.settings import *  # noqa: E402,F403

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(_ROOT / f".test-db-{os.getpid()}.sqlite3")}  # noqa: F405

# PBKDF2 costs ~0.5 s per user on this machine; tests create hundreds of users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
