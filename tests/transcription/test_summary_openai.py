"""The OpenAI summary engine, through the client's real HTTP layer (httpx2 MockTransport)."""

import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx2
import pytest

from transcription.engines.base import EngineError, Insights, Utterance
from transcription.engines.summary_openai import SCHEMA, OpenAISummaryEngine

MONDAY = date(2024, 6, 3)
UTTERANCES = [
    Utterance("The login error is the last blocker.", 5765, "David", 10),
    Utterance("We decided to ship the mobile release on Monday.", 21681, "Alice", 11),
    Utterance("David, please fix the login error before Thursday.", 11160, "Alice", 12),
    Utterance("I will write the survey report by Friday.", 25672, None, 13),
]
ANSWER = {
    "overview": "The team prepared the mobile release.",
    "key_points": ["The login error is the last blocker.", "  "],
    "decisions": ["ship the mobile release on Monday"],
    "questions": ["Do we keep the old app running during the redesign?", " "],
    "action_items": [
        {
            "title": "fix the login error",
            "owner": "David",
            "due_date": "2024-06-06",
            "utterance": 2,
            "confidence": 0.9,
        },
        {
            "title": "write the survey report", "owner": "", "due_date": None, "utterance": None,
            "confidence": None,
        },
    ],
}

Reply = httpx2.Response | Callable[[httpx2.Request], httpx2.Response]


def completion(content: str | None, finish_reason: str = "stop") -> httpx2.Response:
    body = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1717400000,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish_reason,
                "message": {"role": "assistant", "content": content},
            }
        ],
    }
    return httpx2.Response(200, json=body)


def answer(data: Any) -> httpx2.Response:
    return completion(json.dumps(data))


def error(status: int) -> httpx2.Response:
    # retry-after-ms keeps the client's own retries fast.
    return httpx2.Response(
        status, json={"error": {"message": "nope", "type": "x"}}, headers={"retry-after-ms": "1"}
    )


def timeout(request: httpx2.Request) -> httpx2.Response:
    raise httpx2.ReadTimeout("timed out", request=request)


def refused_connection(request: httpx2.Request) -> httpx2.Response:
    raise httpx2.ConnectError("connection refused", request=request)


class Server:
    """Answers requests in turn (the last answer repeats) and keeps what it was sent."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        return reply(request) if callable(reply) else reply

    def body(self, index: int = 0) -> dict[str, Any]:
        return json.loads(self.requests[index].content)


def engine(server: Server, *, max_retries: int = 1, **kwargs: Any) -> OpenAISummaryEngine:
    client = httpx2.Client(transport=httpx2.MockTransport(server))
    kwargs.setdefault("api_key", "test-key")
    return OpenAISummaryEngine(
        base_url="http://llm.test/v1",
        max_retries=max_retries,
        timeout=5,
        http_client=client,
        **kwargs,
    )


def summarize(server: Server, **kwargs: Any) -> Insights:
    summary_engine = engine(server, **kwargs)
    return summary_engine.summarize(UTTERANCES, meeting_date=MONDAY, default_speaker="Carol")


def with_item(**changes: Any) -> str:
    """The good answer with its first action item changed."""
    return json.dumps({**ANSWER, "action_items": [{**ANSWER["action_items"][0], **changes}]})


def test_a_well_formed_answer_becomes_insights() -> None:
    server = Server(answer(ANSWER))

    insights = summarize(server)

    assert insights.overview == "The team prepared the mobile release."
    assert insights.key_points == ["The login error is the last blocker."]
    assert insights.decisions == ["ship the mobile release on Monday"]
    assert insights.questions == ["Do we keep the old app running during the redesign?"]
    first, second = insights.action_items
    assert (first.title, first.owner_name) == ("fix the login error", "David")
    assert first.due_date == date(2024, 6, 6)
    assert first.segment_id == 12  # the utterance's segment, not its index
    assert (second.owner_name, second.due_date, second.segment_id) == (None, None, None)


def test_the_request_carries_the_schema_the_date_and_numbered_utterances() -> None:
    server = Server(answer(ANSWER))

    summarize(server, model="llama-3-8b")

    request = server.requests[0]
    assert request.url == "http://llm.test/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer test-key"
    body = server.body()
    assert body["model"] == "llama-3-8b"
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"] == SCHEMA
    assert body["response_format"]["json_schema"]["strict"] is True
    prompt = body["messages"][-1]["content"]
    assert "Meeting date: 2024-06-03 (Monday)" in prompt
    assert "[0] David: The login error is the last blocker." in prompt
    assert "[2] Alice: David, please fix the login error before Thursday." in prompt
    assert "[3] Unknown: I will write the survey report by Friday." in prompt
    assert '"I" is Carol' in prompt


def test_malformed_json_is_asked_for_again_once() -> None:
    server = Server(completion('{"overview": "cut off'), answer(ANSWER))

    insights = summarize(server)

    assert insights.decisions == ["ship the mobile release on Monday"]
    assert len(server.requests) == 2
    retry = server.body(1)["messages"]
    assert retry[-2] == {"role": "assistant", "content": '{"overview": "cut off'}
    assert "invalid" in retry[-1]["content"]


@pytest.mark.parametrize(
    "content",
    [
        "not json at all",
        None,  # a refusal carries no content
        json.dumps(["a list"]),
        json.dumps({k: v for k, v in ANSWER.items() if k != "decisions"}),
        json.dumps({**ANSWER, "key_points": "one string"}),
        json.dumps({**ANSWER, "action_items": [{"title": "x", "owner": None, "due_date": None}]}),
        with_item(utterance=9),
        with_item(utterance=True),
        with_item(due_date="Friday"),
        with_item(title=" "),
    ],
    ids=[
        "not-json", "no-content", "not-object", "missing-field", "wrong-type", "missing-item-field",
        "bad-index", "bool-index", "bad-date", "empty-title",
    ],  # fmt: skip
)
def test_a_bad_answer_twice_is_a_permanent_error(content: str | None) -> None:
    server = Server(completion(content))

    with pytest.raises(EngineError) as raised:
        summarize(server)

    assert raised.value.transient is False
    assert len(server.requests) == 2


def test_a_timeout_then_success_is_retried_by_the_client() -> None:
    server = Server(timeout, answer(ANSWER))

    insights = summarize(server)

    assert insights.overview
    assert len(server.requests) == 2


@pytest.mark.parametrize("status", [500, 503, 429])
def test_persistent_server_errors_are_transient_after_the_clients_retries(status: int) -> None:
    server = Server(error(status))

    with pytest.raises(EngineError) as raised:
        summarize(server, max_retries=2)

    assert raised.value.transient is True
    assert len(server.requests) == 3


@pytest.mark.parametrize("failure", [timeout, refused_connection], ids=["timeout", "connection"])
def test_persistent_network_failures_are_transient(failure: Reply) -> None:
    server = Server(failure)

    with pytest.raises(EngineError) as raised:
        summarize(server, max_retries=1)

    assert raised.value.transient is True
    assert len(server.requests) == 2


@pytest.mark.parametrize("status", [400, 401, 404])
def test_client_errors_are_permanent_and_not_retried(status: int) -> None:
    server = Server(error(status))

    with pytest.raises(EngineError) as raised:
        summarize(server, max_retries=2)

    assert raised.value.transient is False
    assert len(server.requests) == 1


def test_an_empty_transcript_asks_nothing() -> None:
    server = Server(answer(ANSWER))

    insights = engine(server).summarize([], meeting_date=MONDAY)

    assert insights.overview == "" and insights.action_items == []
    assert server.requests == []


def test_a_local_server_needs_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    server = Server(answer(ANSWER))

    summarize(server, api_key="")

    assert len(server.requests) == 1


def test_no_key_and_no_server_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)

    with pytest.raises(EngineError) as raised:
        OpenAISummaryEngine(api_key=None)

    assert raised.value.transient is False


def test_engine_identity() -> None:
    summary_engine = engine(Server(answer(ANSWER)))
    assert (summary_engine.name, summary_engine.model) == ("openai", "gpt-4o-mini")


# --- Local servers: JSON mode, odd answers, long meetings --------------------------------

# What an older llama.cpp server (and some forks) answer to a JSON schema.
REFUSED_SCHEMA = {"error": {"code": 400, "type": "invalid_request_error",
                            "message": 'response_format type must be one of "text" or "json_object", but got: json_schema'}}


@pytest.mark.parametrize("status", [400, 500])
def test_a_server_that_refuses_the_schema_is_asked_in_json_mode_from_then_on(status: int) -> None:
    server = Server(
        httpx2.Response(status, json=REFUSED_SCHEMA, headers={"retry-after-ms": "1"}),
        completion("```json\n" + json.dumps(ANSWER) + "\n```"),  # Ollama's JSON mode, fenced
    )
    summary_engine = engine(server, max_retries=0)

    first = summary_engine.summarize(UTTERANCES, meeting_date=MONDAY)
    second = summary_engine.summarize(UTTERANCES, meeting_date=MONDAY)

    assert first.decisions == second.decisions == ["ship the mobile release on Monday"]
    assert [server.body(i)["response_format"]["type"] for i in range(3)] == ["json_schema", "json_object", "json_object"]
    instructions = server.body(1)["messages"][0]["content"]
    assert json.dumps(SCHEMA) in instructions  # the schema travels in the instructions instead


def test_json_mode_can_be_chosen_and_an_answer_with_words_around_its_json_is_read() -> None:
    server = Server(completion("Here is the summary:\n" + json.dumps(ANSWER) + "\nHope this helps."))

    insights = summarize(server, json_mode="object")

    assert insights.overview == "The team prepared the mobile release."
    assert server.body()["response_format"] == {"type": "json_object"}


def test_a_refusal_that_is_not_about_the_schema_stays_an_error() -> None:
    server = Server(httpx2.Response(400, json={"error": {"message": "model 'llama9' not found"}}))

    with pytest.raises(EngineError) as raised:
        summarize(server)

    assert raised.value.transient is False
    assert len(server.requests) == 1


def test_an_answer_cut_off_at_the_token_limit_is_asked_for_again_then_refused() -> None:
    cut = json.dumps(ANSWER)[:-1]  # still JSON-looking, but the server says it stopped at the limit
    assert "cut off" in str(pytest.raises(EngineError, summarize, Server(completion(cut, "length"))).value)

    server = Server(completion(json.dumps(ANSWER), "length"), answer(ANSWER))
    assert summarize(server).decisions == ["ship the mobile release on Monday"]
    assert "cut off" in server.body(1)["messages"][-1]["content"]


def test_an_unknown_json_mode_is_a_configuration_error() -> None:
    with pytest.raises(EngineError, match="unknown JSON mode"):
        engine(Server(answer(ANSWER)), json_mode="yaml")


def _by_part(request: httpx2.Request) -> httpx2.Response:
    """A model that summarises each part from its lines and merges the parts."""
    body = json.loads(request.content)
    prompt = body["messages"][1]["content"]
    if body["response_format"]["json_schema"]["name"] == "meeting_merged":
        return answer({"overview": "Release prepared; the survey is next.", "key_points": ["Login error fixed"]})
    numbers = [int(n) for n in re.findall(r"^\[(\d+)\]", prompt, re.MULTILINE)]
    items = [{"title": f"follow up on line {n}", "owner": "David", "due_date": None, "utterance": n,
              "confidence": 0.9} for n in numbers]
    return answer({"overview": f"Part with lines {numbers}.", "key_points": [f"point {numbers[0]}"],
                   "decisions": ["ship the mobile release on Monday"], "questions": [], "action_items": items})


def test_a_long_meeting_is_summarised_by_parts_and_merged_with_nothing_cut() -> None:
    server = Server(_by_part)

    insights = summarize(server, chunk_chars=120)  # about two lines a part

    prompts = [server.body(i)["messages"][1]["content"] for i in range(len(server.requests))]
    part_prompts = prompts[:-1]
    assert len(part_prompts) >= 2 and all("Meeting date: 2024-06-03" in p for p in part_prompts)
    assert f"part 1 of {len(part_prompts)}" in part_prompts[0]
    assert "[3] Unknown: I will write the survey report by Friday." in part_prompts[-1]  # numbers kept
    assert "Part 1:" in prompts[-1] and f"Part {len(part_prompts)}:" in prompts[-1]
    assert insights.overview == "Release prepared; the survey is next."
    assert insights.decisions == ["ship the mobile release on Monday"]  # said by every part, kept once
    # Every line's task, each pointing at its own line's segment.
    assert [(i.title, i.segment_id) for i in insights.action_items] == [
        (f"follow up on line {n}", u.segment_id) for n, u in enumerate(UTTERANCES)
    ]


def test_a_part_citing_a_line_it_was_not_shown_is_asked_again() -> None:
    wrong = {**ANSWER, "action_items": [{**ANSWER["action_items"][0], "utterance": 3}]}
    replies = iter([answer(wrong), answer({**ANSWER, "action_items": []})])
    server = Server(lambda request: (
        answer({"overview": "o", "key_points": []})
        if json.loads(request.content)["response_format"]["json_schema"]["name"] == "meeting_merged"
        else next(replies, answer({**ANSWER, "action_items": []}))
    ))

    summarize(server, chunk_chars=120)

    assert "utterance 3 does not exist" in server.body(1)["messages"][-1]["content"]
