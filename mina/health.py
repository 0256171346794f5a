"""Liveness and a per-component health report."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from transcription.tasks import ping

logger = logging.getLogger(__name__)


@never_cache
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")

    async def round_trip() -> None:
        import asyncio

        # The default prefix: channels_redis reads one Redis key per prefix under one
        # lock, so another prefix would wait up to 5 s behind the sockets' reads.
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "health.ping"})
        await asyncio.wait_for(layer.receive(channel), timeout=2)

    async_to_sync(round_trip)()


def check_cache() -> None:
    key = f"mina:health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("the cache did not return what was stored")
    cache.delete(key)


def check_job_runner() -> None:
    nonce = uuid.uuid4().hex
    ping.apply_async(args=[nonce], expires=10)
    deadline = time.monotonic() + settings.MINA_HEALTH_JOB_TIMEOUT_S
    while time.monotonic() < deadline:
        if cache.get(f"mina:ping:{nonce}") == "pong":
            return
        time.sleep(0.05)
    raise RuntimeError("no worker answered a ping job")


def check_speech_model() -> None:
    if settings.MINA_SPEECH_ENGINE == "openai":
        if not settings.OPENAI_API_KEY:
            raise RuntimeError("OPENAI_API_KEY is not set")
        return
    from transcription.engines.speech_local import resolve_model_path

    name = settings.MINA_WHISPER_MODEL or None
    path = Path(resolve_model_path(name))
    if (path / "model.bin").is_file():
        return
    if name and not Path(name).is_dir():
        # faster-whisper takes any name that is not a folder for a size to download on first use.
        raise RuntimeError(f"{name!r} is not bundled, not a folder and not in the local model cache: "
                           "it would be downloaded")
    raise RuntimeError(f"no Whisper model at {path}")


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "channel_layer": check_channel_layer,
    "cache": check_cache,
    "job_runner": check_job_runner,
    "speech_model": check_speech_model,
}


def components() -> dict[str, dict[str, object]]:
    """Each check's `status` ("up" or "down", with its `error`) and how long it took (`ms`);
    /health/detailed and the operations page in the admin."""
    found: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            check()
        except Exception as exc:
            logger.warning("health component down: %s (%s)", name, type(exc).__name__)
            found[name] = {"status": "down", "error": str(exc)[:200] or type(exc).__name__}
        else:
            found[name] = {"status": "up"}
        found[name]["ms"] = round((time.monotonic() - started) * 1000, 1)
    return found


@never_cache
def detailed(request: HttpRequest) -> JsonResponse:
    report = components()
    down = [name for name, c in report.items() if c["status"] != "up"]
    body = {"status": "degraded" if down else "ok", "down": down, "components": report}
    return JsonResponse(body, status=503 if down else 200)
