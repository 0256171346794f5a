"""Search over transcripts (`?search=`) without reading every segment, on PostgreSQL.

Django's `icontains` on PostgreSQL is `UPPER(text::text) LIKE UPPER('%word%')`; a
trigram index on that same expression answers it (100,000 segments: 52 ms → 0.1 ms for
a rare word, benchmarks/RESULTS-capacity.md). pg_trgm is a trusted extension, so the
database's owner may create it; where that is refused, search works as before, slower.
SQLite has no such index: nothing to do there.
"""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            schema_editor.execute(
                "CREATE INDEX IF NOT EXISTS segment_text_trgm ON transcription_segment "
                "USING gin (UPPER(text::text) gin_trgm_ops)"
            )
    except DatabaseError as exc:
        logger.warning("transcript search index not created (%s); search still works, slower", exc)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS segment_text_trgm")


class Migration(migrations.Migration):
    dependencies = [("transcription", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
