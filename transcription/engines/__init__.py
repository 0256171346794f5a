"""Engines chosen by settings. Heavy imports stay inside the engine modules."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings

from .base import DiarizationEngine, SpeechEngine, SummaryEngine


@lru_cache(maxsize=1)
def get_speech_engine() -> SpeechEngine:
    if settings.MINA_SPEECH_ENGINE == "openai":
        from .speech_openai import OpenAISpeechEngine

        return OpenAISpeechEngine(
            model=settings.OPENAI_SPEECH_MODEL,
            api_key=settings.OPENAI_API_KEY,
            base_url=settings.OPENAI_BASE_URL,
            timeout=settings.OPENAI_TIMEOUT,
            max_retries=settings.OPENAI_MAX_RETRIES,
        )
    from .speech_local import LocalSpeechEngine

    return LocalSpeechEngine(
        settings.MINA_WHISPER_MODEL or None,
        cpu_threads=settings.MINA_WHISPER_THREADS,
        num_workers=settings.MINA_TRANSCRIBE_WORKERS,
        final_window=settings.MINA_FINAL_WINDOW,
    )


@lru_cache(maxsize=1)
def get_diarization_engine() -> DiarizationEngine | None:
    """None when MINA_DIARIZATION is off: every line keeps its stream's speaker."""
    if settings.MINA_DIARIZATION == "off":
        return None
    from .diarize_local import LocalDiarizationEngine

    return LocalDiarizationEngine()


def get_summary_engine(*, known_names: tuple[str, ...] = ()) -> SummaryEngine:
    """known_names (workspace members) help the local rules spot lowercase or misheard names."""
    if settings.MINA_SUMMARY_ENGINE == "openai":
        from .summary_openai import OpenAISummaryEngine

        return OpenAISummaryEngine(
            model=settings.OPENAI_SUMMARY_MODEL,
            api_key=settings.OPENAI_API_KEY,
            base_url=settings.OPENAI_BASE_URL,
            timeout=settings.OPENAI_TIMEOUT,
            max_retries=settings.OPENAI_MAX_RETRIES,
        )
    from .summary_local import LocalSummaryEngine

    return LocalSummaryEngine(known_names=known_names)
