"""Every call to an outside service gives up in bounded time, even when the service
accepts the connection and then never answers."""

import socket
import time
from contextlib import contextmanager
from datetime import date

import pytest
from django.core.cache.backends.redis import RedisCache

from tests.conftest import SPEECH
from tests.streaming import decode
from transcription.engines import get_speech_engine, get_summary_engine
from transcription.engines.base import EngineError, Utterance


@contextmanager
def black_hole():
    """A TCP port that accepts connections (the kernel does) and never says a word."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield server.getsockname()[1]


@contextmanager
def bounded(seconds):
    started = time.monotonic()
    yield
    assert time.monotonic() - started < seconds, f"took {time.monotonic() - started:.1f} s"


@pytest.fixture
def openai_in_a_black_hole(settings):
    with black_hole() as port:
        settings.OPENAI_API_KEY = "sk-test"
        settings.OPENAI_BASE_URL = f"http://127.0.0.1:{port}/v1"
        settings.OPENAI_TIMEOUT = 0.5
        settings.OPENAI_MAX_RETRIES = 0
        settings.MINA_SPEECH_ENGINE = settings.MINA_SUMMARY_ENGINE = "openai"
        get_speech_engine.cache_clear()
        try:
            yield
        finally:
            get_speech_engine.cache_clear()


def test_the_openai_speech_engine_times_out(openai_in_a_black_hole):
    speech, engine = decode(SPEECH / "short.wav"), get_speech_engine()
    with bounded(5), pytest.raises(EngineError) as error:
        engine.transcribe_utterance(speech)
    assert error.value.transient, "a timeout is worth retrying later"


def test_the_openai_summary_engine_times_out(openai_in_a_black_hole):
    utterances = [Utterance(text="David, please fix the login error before Thursday.", start_ms=0, speaker="Alice")]
    engine = get_summary_engine()
    with bounded(5), pytest.raises(EngineError) as error:
        engine.summarize(utterances, meeting_date=date(2025, 3, 3))
    assert error.value.transient


def test_the_redis_cache_times_out(settings):
    with black_hole() as port:
        cache = RedisCache(f"redis://127.0.0.1:{port}/0", {"OPTIONS": settings.REDIS_CLIENT_OPTIONS})
        with bounded(6), pytest.raises(Exception, match="(?i)timeout"):
            cache.get("anything")


def test_every_outside_service_is_configured_with_a_timeout(settings):
    assert settings.OPENAI_TIMEOUT and settings.EMAIL_TIMEOUT
    assert settings.CELERY_BROKER_CONNECTION_TIMEOUT and settings.CELERY_BROKER_TRANSPORT_OPTIONS["socket_connect_timeout"]
    # Files stay on local disk; a remote storage backend would need its own timeouts here.
    assert settings.STORAGES["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("postgresql"):
        assert database["OPTIONS"]["connect_timeout"] and database["OPTIONS"]["pool"]["timeout"]
    else:
        assert database["OPTIONS"]["timeout"]  # SQLite: waiting for the write lock
    if settings.SCALED:
        assert settings.CACHES["default"]["OPTIONS"]["socket_timeout"]
        (host,) = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]
        assert host["socket_connect_timeout"] and host["socket_timeout"] > 5, "longer than channels_redis's 5 s reads"
