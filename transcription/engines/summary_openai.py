"""The `openai` summary engine: chat completions with a JSON schema.

Works with any OpenAI-compatible server (`base_url`). The answer is validated; a
malformed one is asked for again once, then the engine gives up for good.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeVar

import httpx2
import openai
from openai.types.chat import ChatCompletionMessageParam
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from core.languages import WHISPER_LANGUAGES

from .base import (
    ActionItem,
    EngineError,
    EngineUnavailable,
    Insights,
    Utterance,
    WrittenAnswer,
    engine_error,
)

DEFAULT_MODEL = "gpt-4o-mini"
T = TypeVar("T")
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
- questions: questions the meeting raised and left open (nobody knew, or it was put off), \
each as one question that reads on its own; not the ones answered in the meeting.
- action_items: only tasks someone committed to ("I will ...", "Evan will ...") or was \
asked to do ("David, please ...", "can you ... by Friday?"). Not questions ("will we \
ship?"), not refusals ("I won't ..."), not tasks taken back later in the meeting \
("forget the slides"); a task handed on later ("actually, Carol will do it") is the new \
owner's. title: the task in imperative form without the \
owner, the modal or the due date ("fix the login error"). owner: the person named, or \
for "I will ..." the speaker of that line; null when nobody is. due_date: YYYY-MM-DD \
resolved against the meeting date (a weekday means the next such day after the meeting \
date), or null when no date was said. utterance: the number of the line it came from. \
confidence: from 0 to 1, how clearly the line makes it a task for that owner (a promise or \
an accepted request near 0.9; a suggestion nobody took up, or a guessed owner, 0.5 or less)."""

class AnswerItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    owner: str | None
    due_date: date | None = Field(description="YYYY-MM-DD")
    utterance: StrictInt | None  # a bool is no line number
    confidence: float | None = Field(ge=0, le=1, description="0-1; null when unsure how to rate it")


class Answer(BaseModel):
    """What the model must answer (its JSON schema goes with every request)."""

    model_config = ConfigDict(extra="forbid")

    overview: str
    key_points: list[str]
    decisions: list[str]
    action_items: list[AnswerItem]
    questions: list[str]


SCHEMA = Answer.model_json_schema()
_RESPONSE_FORMAT: Any = {
    "type": "json_schema",
    "json_schema": {"name": "meeting_insights", "strict": True, "schema": SCHEMA},
}


_AGAIN = "Answer again with JSON that matches the schema."

_ANSWER_INSTRUCTIONS = """\
You answer a question about a team's meetings from numbered passages of their transcripts \
(automatic speech recognition: expect words misheard). Use only what the passages say. \
Answer with JSON that matches the schema:
- answer: two to four sentences in the language of the question, each claim followed by the \
number of the passage that supports it in brackets, like [2]. When the passages do not \
answer the question, one sentence saying that the meetings do not say, and no numbers.
- known: false when the passages do not answer the question, true otherwise.
- citations: the numbers of the passages the answer cites."""


class WrittenSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: str
    known: bool
    citations: list[StrictInt]


_WRITTEN_FORMAT: Any = {
    "type": "json_schema",
    "json_schema": {"name": "meeting_answer", "strict": True, "schema": WrittenSchema.model_json_schema()},
}
_CITED = re.compile(r"\[(\d+)\]")


def parse_written(content: str | None, count: int) -> WrittenAnswer:
    """The model's JSON as a WrittenAnswer whose every citation is one of the `count`
    passages; raises InvalidAnswer."""
    try:
        written = WrittenSchema.model_validate_json(content or "")
    except ValidationError as exc:
        raise InvalidAnswer(_first_problem(exc)) from exc
    cited = {int(n) for n in _CITED.findall(written.answer)} | set(written.citations)
    unknown = sorted(n for n in cited if not 1 <= n <= count)
    if unknown:
        raise InvalidAnswer(f"passage {unknown[0]} does not exist (there are {count})")
    if not written.answer.strip():
        raise InvalidAnswer("the answer is empty")
    return WrittenAnswer(text=written.answer.strip(), known=written.known, citations=sorted(cited))


class InvalidAnswer(ValueError):
    """The model's answer is not JSON or does not match the schema."""


def parse_answer(content: str | None, utterances: Sequence[Utterance]) -> Insights:
    """The model's JSON as Insights; raises InvalidAnswer."""
    try:
        answer = Answer.model_validate_json(content or "")
    except ValidationError as exc:
        raise InvalidAnswer(_first_problem(exc)) from exc
    return Insights(
        overview=answer.overview.strip(),
        key_points=[p.strip() for p in answer.key_points if p.strip()],
        decisions=[d.strip() for d in answer.decisions if d.strip()],
        action_items=[_action_item(item, utterances) for item in answer.action_items],
        questions=[q.strip() for q in answer.questions if q.strip()],
    )


def _action_item(item: AnswerItem, utterances: Sequence[Utterance]) -> ActionItem:
    if not item.title.strip():
        raise InvalidAnswer("an action item has no title")
    if item.utterance is not None and not 0 <= item.utterance < len(utterances):
        raise InvalidAnswer(f"utterance {item.utterance} does not exist")
    segment_id = utterances[item.utterance].segment_id if item.utterance is not None else None
    return ActionItem(
        item.title.strip(), (item.owner or "").strip() or None, item.due_date, segment_id,
        item.confidence if item.confidence is not None else ActionItem.confidence,
    )


def _first_problem(exc: ValidationError) -> str:
    """What to tell the model (and the log): the first thing wrong, where."""
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "the answer"
    return f"{where}: {error['msg']}"


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
        language: str | None = None,
    ) -> Insights:
        if not utterances:
            return Insights(overview="")
        prompt = transcript_prompt(utterances, meeting_date, default_speaker)
        if language in WHISPER_LANGUAGES:
            prompt = f"The meeting is in {WHISPER_LANGUAGES[language]}: write the summary in it.\n{prompt}"
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": _INSTRUCTIONS},
            {"role": "user", "content": prompt},
        ]
        return self._answered(messages, _RESPONSE_FORMAT, lambda content: parse_answer(content, utterances))

    def answer(self, question: str, passages: Sequence[str]) -> WrittenAnswer:
        """A short answer to `question` from the numbered `passages` only, in the
        question's language, citing them as [1], [2]; `known` False when they do not say."""
        numbered = "\n".join(f"[{n}] {text}" for n, text in enumerate(passages, start=1))
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": _ANSWER_INSTRUCTIONS},
            {"role": "user", "content": f"Question: {question}\n\nPassages:\n{numbered}"},
        ]
        return self._answered(messages, _WRITTEN_FORMAT, lambda content: parse_written(content, len(passages)))

    def _answered(
        self, messages: list[ChatCompletionMessageParam], response_format: Any, parse: Callable[[str | None], T]
    ) -> T:
        """The model's answer, parsed; one that does not fit is shown its mistake and asked again."""
        problem = ""
        for _ in range(ANSWER_ATTEMPTS):
            content = self._complete(messages, response_format)
            try:
                return parse(content)
            except InvalidAnswer as exc:
                problem = str(exc)
                # Showing the model its mistake makes the next answer likelier to fit.
                messages = [
                    *messages,
                    {"role": "assistant", "content": content or ""},
                    {"role": "user", "content": f"That answer was invalid ({exc}). {_AGAIN}"},
                ]
        raise EngineError(f"summary model answered badly: {problem}")

    def _complete(self, messages: list[ChatCompletionMessageParam], response_format: Any) -> str | None:
        """One chat completion (the client retries transient failures itself)."""
        try:
            completion = self._client.chat.completions.create(
                model=self.model, messages=messages, response_format=response_format
            )
        except openai.APIConnectionError as exc:  # timeouts included
            raise EngineUnavailable(f"summary service unreachable: {exc}") from exc
        except openai.APIStatusError as exc:
            status = exc.status_code
            transient = status in (408, 409, 429) or status >= 500
            raise engine_error(f"summary service answered {status}", transient=transient) from exc
        except openai.OpenAIError as exc:
            raise EngineError(f"summary service failed: {exc}") from exc
        return completion.choices[0].message.content if completion.choices else None
