"""Engines chosen by settings. Heavy imports stay inside the engine modules."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from core.languages import AUTO, ENGLISH

from .base import DiarizationEngine, SpeechEngine, SummaryEngine

if TYPE_CHECKING:
    from .summary_openai import OpenAISummaryEngine


@lru_cache(maxsize=16)
def get_speech_engine(language: str = ENGLISH) -> SpeechEngine:
    """The engine for a meeting in `language` (a Whisper code, or "auto": detected)."""
    return _speech_engine(language, num_workers=settings.MINA_TRANSCRIBE_WORKERS, copy="live")


@lru_cache(maxsize=16)
def get_careful_engine(language: str = ENGLISH) -> SpeechEngine:
    """The careful pass's engine: MINA_CAREFUL_PARALLEL blocks decoded at once, on a
    copy of the model of its own, so a careful pass never holds the live finals' decoders."""
    return _speech_engine(language, num_workers=settings.MINA_CAREFUL_PARALLEL, copy="careful")


def _speech_engine(language: str, *, num_workers: int, copy: str) -> SpeechEngine:
    spoken = None if language == AUTO else language
    if settings.MINA_SPEECH_ENGINE == "openai":
        from .speech_openai import OpenAISpeechEngine

        return OpenAISpeechEngine(
            model=settings.OPENAI_SPEECH_MODEL,
            api_key=settings.OPENAI_API_KEY,
            base_url=settings.OPENAI_BASE_URL,
            timeout=settings.OPENAI_TIMEOUT,
            max_retries=settings.OPENAI_MAX_RETRIES,
            language=spoken,
        )
    from .speech_local import LocalSpeechEngine

    return LocalSpeechEngine(
        speech_model_for(language),
        language=spoken,
        cpu_threads=settings.MINA_WHISPER_THREADS,
        num_workers=num_workers,
        copy=copy,
        final_window=settings.MINA_FINAL_WINDOW,
        unsure_final_beam=settings.MINA_UNSURE_FINAL_BEAM,
    )


def speech_model_for(language: str) -> str | None:
    """The local model for a language: MINA_WHISPER_MODEL when set; else the bundled
    English-only tiny.en for English (fast enough for live on 2 cores) and the
    multilingual base model for every other language and for detection."""
    if settings.MINA_WHISPER_MODEL:
        return str(settings.MINA_WHISPER_MODEL)
    if language == ENGLISH:
        return None
    from .whisper_models import multilingual_model_path

    return str(multilingual_model_path(settings.MINA_DATA_DIR))


def speech_language_problem(language: str) -> str | None:
    """Why the configured speech engine cannot do `language`, or None. Judged by the
    model's name (faster-whisper's English-only models end in ".en"), not by loading it."""
    if settings.MINA_SPEECH_ENGINE == "openai" or language == ENGLISH:
        return None
    model = str(settings.MINA_WHISPER_MODEL or "")
    if model.rstrip("/").endswith(".en"):
        name = Path(model).name
        return f"The speech model {name} hears English only: set MINA_WHISPER_MODEL to a multilingual model."
    return None


@lru_cache(maxsize=1)
def get_diarization_engine() -> DiarizationEngine | None:
    """None when MINA_DIARIZATION is off: every line keeps its stream's speaker."""
    if settings.MINA_DIARIZATION == "off":
        return None
    from .diarize_local import LocalDiarizationEngine

    return LocalDiarizationEngine()


def get_summary_engine(*, known_names: tuple[str, ...] = ()) -> SummaryEngine:
    """known_names (workspace members) help the local rules spot lowercase or misheard names."""
    writer = get_answer_engine()
    if writer is not None:
        return writer
    from .summary_local import LocalSummaryEngine

    return LocalSummaryEngine(known_names=known_names)


def get_answer_engine() -> OpenAISummaryEngine | None:
    """The chat model that writes answers (Ask Mina) and summaries; None offline, where
    the local rules write summaries and Ask answers with the passages themselves."""
    if settings.MINA_SUMMARY_ENGINE != "openai":
        return None
    from .summary_openai import OpenAISummaryEngine

    return OpenAISummaryEngine(
        model=settings.OPENAI_SUMMARY_MODEL,
        api_key=settings.OPENAI_API_KEY,
        base_url=settings.OPENAI_BASE_URL,
        timeout=settings.OPENAI_TIMEOUT,
        max_retries=settings.OPENAI_MAX_RETRIES,
        json_mode=settings.OPENAI_JSON_MODE,
        chunk_chars=settings.OPENAI_SUMMARY_CHUNK_CHARS,
    )
