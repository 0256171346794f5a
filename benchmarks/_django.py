"""Set up Django on a throwaway SQLite database for the benchmark scripts."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"


def setup(name: str, database_url: str | None = None) -> Path:
    """Migrate a throwaway database (SQLite in a temporary folder, or `database_url`, one
    the caller made) with media in that folder; jobs run inline (eagerly)."""
    folder = Path(tempfile.mkdtemp(prefix=f"mina-{name}-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="mina.settings",
        DEBUG="1",  # a throwaway database on this machine, never served
        DATABASE_URL=database_url or f"sqlite:///{folder / 'db.sqlite3'}",
        MEDIA_ROOT=str(folder / "media"),
        MINA_JOBS_EAGER="1",
        LOG_LEVEL="WARNING",
    )
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return folder


def in_place() -> None:
    """Django on this checkout's own settings, for the benchmarks that run the engines and
    write nothing to a database (fidelity, languages, glossary)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mina.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DEBUG", "1")  # a benchmark on this machine, never a served site
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
