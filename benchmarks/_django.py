"""Set up Django on a throwaway SQLite database for the benchmark scripts."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"


def setup(name: str) -> Path:
    """Migrate a fresh database in a temporary folder; jobs run inline (eagerly)."""
    folder = Path(tempfile.mkdtemp(prefix=f"mina-{name}-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="mina.settings",
        DEBUG="1",  # a throwaway database on this machine, never served
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
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
