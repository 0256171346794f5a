"""The OpenAI speech engine through the client's real HTTP layer, answered by a mock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2
import numpy as np
import pytest

from transcription.engines import speech_openai
from transcription.engines.base import EngineError
from transcription.engines.speech_openai import OpenAISpeechEngine

Handler = Callable[[httpx2.Request], httpx2.Response]
SEGMENT = {
    "id": 0,
    "seek": 0,
    "start": 0.2,
    "end": 1.8,
    "text": " Ship it on Monday.",
    "tokens": [1, 2, 3],
    "temperature": 0.0,
    "avg_logprob": -0.2,
    "compression_ratio": 0.9,
    "no_speech_prob": 0.01,
}
VERBOSE = {
    "task": "transcribe",
    "language": "english",
    "duration": 2.0,
    "text": "Ship it on Monday.",
    "segments": [SEGMENT],
    "words": [
        {"word": "Ship", "start": 0.2, "end": 0.5},
        {"word": "it", "start": 0.5, "end": 0.7},
        {"word": "on", "start": 0.7, "end": 0.9},
        {"word": "Monday.", "start": 0.9, "end": 1.8},
    ],
}


def speech(seconds: float) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.normal(0, 0.1, int(seconds * 16000)).astype(np.float32)


def make_engine(handler: Handler, **kwargs: Any) -> OpenAISpeechEngine:
    client = httpx2.Client(transport=httpx2.MockTransport(handler))
    return OpenAISpeechEngine(api_key="sk-test", http_client=client, **kwargs)


def answer(body: dict[str, object], status: int = 200) -> httpx2.Response:
    # retry-after-ms keeps the client's retries fast in tests.
    return httpx2.Response(status, json=body, headers={"retry-after-ms": "1"})


def test_a_well_formed_answer_becomes_a_segment_with_words() -> None:
    requests: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        requests.append(request)
        return answer(VERBOSE)

    result = make_engine(handler).transcribe_utterance(speech(2.0))

    assert result is not None
    assert (result.start_ms, result.end_ms, result.text) == (200, 1800, "Ship it on Monday.")
    assert [(w.word, w.start_ms, w.end_ms) for w in result.words[:2]] == [
        ("Ship", 200, 500),
        ("it", 500, 700),
    ]
    (request,) = requests
    body = request.read()
    assert request.url.path.endswith("/audio/transcriptions")
    assert request.headers["authorization"] == "Bearer sk-test"
    assert b"verbose_json" in body and b"whisper-1" in body
    assert b"RIFF" in body and b"WAVE" in body


def test_a_timeout_is_retried_and_then_succeeds() -> None:
    calls = 0

    def handler(request: httpx2.Request) -> httpx2.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx2.ReadTimeout("slow", request=request)
        return answer(VERBOSE)

    result = make_engine(handler).transcribe_utterance(speech(2.0))

    assert result and result.text == "Ship it on Monday."
    assert calls == 2


def test_a_server_that_keeps_failing_is_a_transient_error() -> None:
    calls = 0

    def handler(request: httpx2.Request) -> httpx2.Response:
        nonlocal calls
        calls += 1
        return answer({"error": {"message": "overloaded"}}, status=500)

    with pytest.raises(EngineError) as caught:
        make_engine(handler, max_retries=2).transcribe_utterance(speech(1.0))

    assert caught.value.transient
    assert calls == 3


def test_a_rejected_key_is_a_permanent_error_without_retries() -> None:
    calls = 0

    def handler(request: httpx2.Request) -> httpx2.Response:
        nonlocal calls
        calls += 1
        return answer({"error": {"message": "Incorrect API key"}}, status=401)

    with pytest.raises(EngineError) as caught:
        make_engine(handler).transcribe_utterance(speech(1.0))

    assert not caught.value.transient
    assert "401" in str(caught.value)
    assert calls == 1


def test_silence_and_partials_cost_no_request() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        raise AssertionError("no request expected")

    engine = make_engine(handler)

    assert engine.transcribe_utterance(np.zeros(16000, dtype=np.float32)) is None
    assert engine.transcribe_partial(speech(2.0)) == ""


def test_segments_the_model_marks_as_silence_are_dropped() -> None:
    silent = {**SEGMENT, "text": " You", "no_speech_prob": 0.9, "avg_logprob": -1.5}

    result = make_engine(lambda r: answer(dict(VERBOSE, segments=[silent]))).transcribe_utterance(
        speech(2.0)
    )

    assert result is None


def test_text_only_models_give_one_segment() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        assert b"verbose_json" not in request.read()
        return answer({"text": "Ship it on Monday."})

    result = make_engine(handler, model="gpt-4o-transcribe").transcribe_utterance(speech(2.0))

    assert result and (result.start_ms, result.end_ms, result.text) == (
        0,
        2000,
        "Ship it on Monday.",
    )


def test_long_files_go_up_in_chunks_with_times_continued(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(speech_openai, "CHUNK_SECONDS", 4)
    monkeypatch.setattr(speech_openai, "CUT_SEARCH_SECONDS", 1)
    progress: list[float] = []

    segments = list(
        make_engine(lambda r: answer(VERBOSE)).transcribe_file(
            speech(10.0), on_progress=progress.append
        )
    )

    assert len(segments) == 3
    starts = [s.start_ms for s in segments]
    assert starts[0] == 200 and 3000 < starts[1] < 4300 and 6000 < starts[2] < 8300
    assert progress[-1] == 1.0 and progress == sorted(progress)
    assert [w.word for s in segments for w in s.words].count("Ship") == 3
