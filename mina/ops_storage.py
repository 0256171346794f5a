"""Disk and database use, for the operations page (mina/ops_views.py): walking the media
folder and sizing the tables read every file and page, so each is measured at most once
every MEASURED_EVERY_S seconds (in the cache: once for every web process when scaled).
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection
from django.utils import timezone

from transcription.models import Recording

logger = logging.getLogger(__name__)

MEASURED_EVERY_S = 30

T = TypeVar("T")


@dataclass(frozen=True)
class Storage:
    on_disk: bool  # False: the media are in a remote storage, not measured here
    live_pcm: int = 0  # bytes: streams in progress, and live recordings before their careful pass
    compressed: int = 0  # live recordings compressed after it
    uploads: int = 0
    other: int = 0  # files no recording names
    files: int = 0
    free: int | None = None  # on the media's disk
    measured_at: datetime | None = None


def storage() -> Storage:
    return _measured("mina:ops:storage", _measure_storage)


def _measure_storage() -> Storage:
    if not isinstance(default_storage, FileSystemStorage):
        return Storage(on_disk=False, measured_at=timezone.now())
    root = Path(default_storage.location)
    sizes = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            try:
                sizes[os.path.relpath(path, root)] = os.stat(path).st_size
            except OSError:  # deleted while we walked
                continue
    files = len(sizes)
    # Live audio arrives as chunks (chunks/<stream>/), is joined into a WAV when the stream
    # stops and compressed after the careful pass; an upload keeps its own format.
    kinds = {"live_pcm": 0, "compressed": 0, "uploads": 0, "other": 0}
    for name in [n for n in sizes if n.startswith("chunks" + os.sep)]:
        kinds["live_pcm"] += sizes.pop(name)
    if sizes:
        for name, source in Recording.objects.exclude(file="").values_list("file", "source").iterator():
            if name not in sizes:
                continue
            if source == Recording.Source.UPLOAD:
                kinds["uploads"] += sizes.pop(name)
            else:
                kinds["live_pcm" if name.endswith(".wav") else "compressed"] += sizes.pop(name)
    kinds["other"] = sum(sizes.values())
    try:
        free: int | None = shutil.disk_usage(root).free
    except OSError:  # no media folder yet
        free = None
    return Storage(True, files=files, free=free, measured_at=timezone.now(), **kinds)


# --- Database ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    name: str
    bytes: int | None  # with its indexes; None where the database does not say
    rows: int | None  # PostgreSQL: the planner's estimate


@dataclass(frozen=True)
class Tables:
    vendor: str
    how: str
    total: int | None  # the whole database, bytes
    biggest: list[Table]
    measured_at: datetime


def tables() -> Tables:
    return _measured("mina:ops:tables", _measure_tables)


def _measure_tables(limit: int = 8) -> Tables:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, pg_total_relation_size(c.oid), c.reltuples::bigint FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() ORDER BY 2 DESC LIMIT %s",
                [limit],
            )
            biggest = [Table(name, size, rows if rows >= 0 else None) for name, size, rows in cursor.fetchall()]
            cursor.execute("SELECT pg_database_size(current_database())")
            return Tables("PostgreSQL", "pg_total_relation_size", cursor.fetchone()[0], biggest, timezone.now())
        if connection.vendor == "sqlite":
            return _sqlite_tables(cursor, limit)
    names = connection.introspection.table_names()
    return Tables(connection.vendor, "row counts", None, _counted(names, {})[:limit], timezone.now())


def _sqlite_tables(cursor: Any, limit: int) -> Tables:
    cursor.execute("PRAGMA page_count")
    pages = cursor.fetchone()[0]
    cursor.execute("PRAGMA page_size")
    total = pages * cursor.fetchone()[0]
    try:
        # Every page of the file, attributed to its table (indexes included).
        cursor.execute(
            "SELECT m.tbl_name, SUM(d.pgsize) FROM dbstat d JOIN sqlite_master m ON m.name = d.name "
            "GROUP BY m.tbl_name ORDER BY 2 DESC LIMIT %s",
            [limit],
        )
        sizes = dict(cursor.fetchall())
        how = "dbstat"
    except Exception:  # SQLite built without dbstat: row counts only
        sizes = {}
        how = "row counts"
    names = list(sizes) or connection.introspection.table_names()
    biggest = _counted(names, sizes)
    return Tables("SQLite", how, total, biggest if sizes else biggest[:limit], timezone.now())


def _counted(names: list[str], sizes: dict[str, int]) -> list[Table]:
    quote = connection.ops.quote_name
    found = []
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"SELECT COUNT(*) FROM {quote(name)}")  # noqa: S608 (names from the database itself)
            found.append(Table(name, sizes.get(name), cursor.fetchone()[0]))
    return found if sizes else sorted(found, key=lambda t: t.rows or 0, reverse=True)


def _measured(key: str, measure: Callable[[], T]) -> T:
    """A measurement at most MEASURED_EVERY_S old; measured now when the cache is away."""
    try:
        found = cache.get(key)
    except Exception:  # Redis down: measure, don't break the page
        found = None
    if found is not None:
        return found  # type: ignore[no-any-return]
    found = measure()
    try:
        cache.set(key, found, timeout=MEASURED_EVERY_S)
    except Exception:
        logger.warning("operations page: measurement not cached (the cache is down)")
    return found
