"""The `openai` summary engine: chat completions with a JSON schema.

Works with any OpenAI-compatible server (`base_url`). The answer is validated; a
malformed one is asked for again once, then the engine gives up for good.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import httpx2
import openai
from openai.types.chat import ChatCompletionMessageParam

from transcription.engines.base import ActionItem, EngineError, Insights, Utterance

DEFAULT_MODEL = "gpt-4o-mini"
# One retry: a model that answered badly twice will keep doing so.
ANSWER_ATTEMPTS = 2

_INSTRUCTIONS = """\
You summarise meeting transcripts. Each line is "[number] Speaker: text"; the text is \
automatic speech recognition, so expect missing punctuation and names misheard by a \
letter. Answer in the transcript's language with JSON that matches the schema:
- overview: two or three sentences on what the meeting was about and its outcome.
- key_points: the main points discussed, one short sentence each.
- decisions: what the meeting decided or agreed, each as a short phrase without \
"we decided to" (for example "ship the mobile release on Monday").
- action_items: only tasks someone committed to ("I will ...", "Evan will ...") or was \
asked to do ("David, please ...", "can you ... by Friday?"). Not questions ("will we \
ship?"), not refusals ("I won't ..."). title: the task in imperative form without the \
owner, the modal or the due date ("fix the login error"). owner: the person named, or \
for "I will ..." the speaker of that line; null when nobody is. due_date: YYYY-MM-DD \
resolved against the meeting date (a weekday means the next such day after the meeting \
date), or null when no date was said. utterance: the number of the line it came from."""

_NULLABLE_STRING = {"type": ["string", "null"]}
_STRINGS = {"type": "array", "items": {"type": "string"}}
_ACTION_ITEM = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "owner": _NULLABLE_STRING,
        "due_date": {"type": ["string", "null"], "description": "YYYY-MM-DD"},
        "utterance": {"type": ["integer", "null"]},
    },
    "required": ["title", "owner", "due_date", "utterance"],
    "additionalProperties": False,
}
SCHEMA = {
    "type": "object",
    "properties": {
        "overview": {"type": "string"},
        "key_points": _STRINGS,
        "decisions": _STRINGS,
        "action_items": {"type": "array", "items": _ACTION_ITEM},
    },
    "required": ["overview", "key_points", "decisions", "action_items"],
    "additionalProperties": False,
}
_RESPONSE_FORMAT: Any = {
    "type": "json_schema",
    "json_schema": {"name": "meeting_insights", "strict": True, "schema": SCHEMA},
}


_AGAIN = "Answer again with JSON that matches the schema."


class InvalidAnswer(ValueError):
    """The model's answer is not JSON or does not match the schema."""


def _field(data: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = data.get(key)
    # bool is an int in Python, never a valid index or text here.
    if key not in data or isinstance(value, bool) or not isinstance(value, kind):
        raise InvalidAnswer(f"{key!r} is missing or not {kind}")
    return value


def _strings(data: dict[str, Any], key: str) -> list[str]:
    values = _field(data, key, list)
    if not all(isinstance(value, str) for value in values):
        raise InvalidAnswer(f"{key!r} holds something other than text")
    return [value.strip() for value in values if value.strip()]


def _action_item(raw: Any, utterances: Sequence[Utterance]) -> ActionItem:
    if not isinstance(raw, dict):
        raise InvalidAnswer("an action item is not an object")
    title = _field(raw, "title", str).strip()
    owner = _field(raw, "owner", (str, type(None)))
    due = _field(raw, "due_date", (str, type(None)))
    index = _field(raw, "utterance", (int, type(None)))
    if not title:
        raise InvalidAnswer("an action item has no title")
    if index is not None and not 0 <= index < len(utterances):
        raise InvalidAnswer(f"utterance {index} does not exist")
    try:
        due_date = date.fromisoformat(due) if due else None
    except ValueError as exc:
        raise InvalidAnswer(f"due_date {due!r} is not a date") from exc
    segment_id = utterances[index].segment_id if index is not None else None
    return ActionItem(title, (owner or "").strip() or None, due_date, segment_id)


def parse_answer(content: str | None, utterances: Sequence[Utterance]) -> Insights:
    """The model's JSON as Insights; raises InvalidAnswer."""
    try:
        data = json.loads(content or "")
    except json.JSONDecodeError as exc:
        raise InvalidAnswer(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidAnswer("the answer is not a JSON object")
    return Insights(
        overview=_field(data, "overview", str).strip(),
        key_points=_strings(data, "key_points"),
        decisions=_strings(data, "decisions"),
        action_items=[_action_item(raw, utterances) for raw in _field(data, "action_items", list)],
    )


def transcript_prompt(
    utterances: Sequence[Utterance], meeting_date: date, default_speaker: str | None
) -> str:
    """The user message: the meeting date, who "I" is, and the numbered lines."""
    lines = [f"Meeting date: {meeting_date.isoformat()} ({meeting_date:%A})"]
    if default_speaker:
        lines.append(f'When the speaker is Unknown, "I" is {default_speaker}.')
    lines.append("")
    lines += [f"[{i}] {u.speaker or 'Unknown'}: {u.text.strip()}" for i, u in enumerate(utterances)]
    return "\n".join(lines)


class OpenAISummaryEngine:
    """Summary, decisions and action items from a chat model."""

    name = "openai"

    def __init__(
        self,
        *,
        model: str = DEFAULT_MODEL,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        http_client: httpx2.Client | None = None,
    ) -> None:
        self.model = model
        if not api_key and base_url:
            api_key = "unused"  # local OpenAI-compatible servers usually take no key
        try:
            self._client = openai.OpenAI(
                api_key=api_key or None,
                base_url=base_url,
                timeout=timeout,
                max_retries=max_retries,
                http_client=http_client,
            )
        except openai.OpenAIError as exc:  # no key anywhere
            raise EngineError(f"OpenAI summary engine not configured: {exc}") from exc

    def summarize(
        self,
        utterances: Sequence[Utterance],
        *,
        meeting_date: date,
        default_speaker: str | None = None,
    ) -> Insights:
        if not utterances:
            return Insights(overview="")
        prompt = transcript_prompt(utterances, meeting_date, default_speaker)
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": _INSTRUCTIONS},
            {"role": "user", "content": prompt},
        ]
        problem = ""
        for _ in range(ANSWER_ATTEMPTS):
            content = self._complete(messages)
            try:
                return parse_answer(content, utterances)
            except InvalidAnswer as exc:
                problem = str(exc)
                # Showing the model its mistake makes the next answer likelier to fit.
                messages += [
                    {"role": "assistant", "content": content or ""},
                    {"role": "user", "content": f"That answer was invalid ({exc}). {_AGAIN}"},
                ]
        raise EngineError(f"summary model answered badly: {problem}", transient=False)

    def _complete(self, messages: list[ChatCompletionMessageParam]) -> str | None:
        """One chat completion (the client retries transient failures itself)."""
        try:
            completion = self._client.chat.completions.create(
                model=self.model, messages=messages, response_format=_RESPONSE_FORMAT
            )
        except openai.APIConnectionError as exc:  # timeouts included
            raise EngineError(f"summary service unreachable: {exc}", transient=True) from exc
        except openai.APIStatusError as exc:
            status = exc.status_code
            transient = status in (408, 409, 429) or status >= 500
            raise EngineError(f"summary service answered {status}", transient=transient) from exc
        except openai.OpenAIError as exc:
            raise EngineError(f"summary service failed: {exc}") from exc
        return completion.choices[0].message.content if completion.choices else None
