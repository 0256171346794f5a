"""Storage on the operations page: audio by kind from the media folder, the database's
biggest tables, and how often each is measured."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from mina import ops_storage
from tests.factories import MeetingFactory, SegmentFactory
from transcription.models import Recording

pytestmark = pytest.mark.django_db


def recording(meeting, source, name, size):
    made = Recording(meeting=meeting, source=source, status=Recording.Status.DONE)
    made.file.save(name, ContentFile(b"\1" * size), save=False)
    made.save()
    return made


def test_audio_is_counted_by_kind_from_the_files_themselves(meeting):
    default_storage.save("chunks/5f0c/000000000000.pcm", ContentFile(b"\0" * 3200))  # a stream in progress
    default_storage.save("chunks/5f0c/000000003200.pcm", ContentFile(b"\0" * 3200))
    recording(meeting, Recording.Source.LIVE, "live.wav", 1000)  # stopped, before its careful pass
    recording(meeting, Recording.Source.LIVE, "live.ogg", 500)  # compressed after it
    recording(meeting, Recording.Source.UPLOAD, "upload.wav", 700)
    recording(meeting, Recording.Source.UPLOAD, "upload.m4a", 300)
    default_storage.save("exports/stray.txt", ContentFile(b"not audio"))

    measured = ops_storage.storage()
    assert measured.on_disk
    assert (measured.live_pcm, measured.compressed, measured.uploads, measured.other) == (7400, 500, 1000, 9)
    assert measured.files == 7
    assert measured.free > 0


def test_a_measurement_is_kept_for_30_seconds(meeting):
    recording(meeting, Recording.Source.UPLOAD, "upload.wav", 700)
    assert ops_storage.storage().uploads == 700
    recording(meeting, Recording.Source.UPLOAD, "upload.wav", 300)
    assert ops_storage.storage().uploads == 700  # from the cache
    cache.delete("mina:ops:storage")  # as when it expires
    assert ops_storage.storage().uploads == 1000


def test_the_biggest_tables_are_sized_with_their_rows():
    meeting = MeetingFactory()
    for n in range(300):
        SegmentFactory(meeting=meeting, text=f"line {n} of a long meeting about the mobile release " * 4)
    measured = ops_storage.tables()
    assert measured.total > 0
    assert 0 < len(measured.biggest) <= 8
    segments = next(t for t in measured.biggest if t.name == "transcription_segment")
    assert segments.bytes > 0
    if measured.vendor == "SQLite":  # every page read (dbstat), rows counted
        assert measured.how == "dbstat"
        assert segments.rows == 300
        assert measured.biggest[0].name == "transcription_segment"
    else:  # PostgreSQL: sizes from pg_total_relation_size, rows as the planner estimates them
        assert measured.how == "pg_total_relation_size"
