"""The `openai` summary engine: chat completions with a JSON schema.

Works with any OpenAI-compatible server (`base_url`). Servers differ in what they take
(docs/configuration.md has a recipe for Ollama, the llama.cpp server and vLLM): the
answer's JSON schema goes as `response_format` where the server supports it, and where
it refuses that (an older llama.cpp or Ollama) or `json_mode` says so, the engine asks
for JSON mode with the schema in the instructions. Either way the answer is validated
(a fenced or prefaced JSON object is read; one cut off at the token limit is not); a
malformed one is asked for again once, then the engine gives up for good. A transcript
longer than `chunk_chars` is summarised by parts and merged, its lines keeping their
numbers so every task still points at the line that said it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from datetime import date
from functools import partial
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

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "gpt-4o-mini"
JSON_MODES = ("schema", "object")
# A part of a long transcript: about 3,000 tokens of lines, so the instructions, the part
# and the answer fit the 8,192-token context many local models are served with.
CHUNK_CHARS = 12_000
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


class Merged(BaseModel):
    """What the model answers when it merges the parts of a long meeting."""

    model_config = ConfigDict(extra="forbid")

    overview: str
    key_points: list[str]


_MERGE_INSTRUCTIONS = """\
You merge the summaries of the consecutive parts of one long meeting into one. Answer in \
the language of the parts with JSON that matches the schema:
- overview: two or three sentences on what the whole meeting was about and its outcome.
- key_points: the main points of the whole meeting, one short sentence each, without \
repeating a point two parts share."""


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


_CITED = re.compile(r"\[(\d+)\]")


def json_text(content: str | None) -> str:
    """The JSON object in a model's answer: JSON mode on some servers wraps it in a
    ```json fence or a sentence before it."""
    text = (content or "").strip()
    if fenced := re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, re.DOTALL | re.IGNORECASE):
        text = fenced.group(1)
    start, end = text.find("{"), text.rfind("}")
    return text[start : end + 1] if 0 <= start < end else text


M = TypeVar("M", bound=BaseModel)


def _validated(schema: type[M], content: str | None) -> M:
    """The model's answer read as `schema`; raises InvalidAnswer saying what is wrong."""
    try:
        return schema.model_validate_json(json_text(content))
    except ValidationError as exc:
        raise InvalidAnswer(_first_problem(exc)) from exc


def parse_written(content: str | None, count: int) -> WrittenAnswer:
    """The model's JSON as a WrittenAnswer whose every citation is one of the `count`
    passages; raises InvalidAnswer."""
    written = _validated(WrittenSchema, content)
    cited = {int(n) for n in _CITED.findall(written.answer)} | set(written.citations)
    unknown = sorted(n for n in cited if not 1 <= n <= count)
    if unknown:
        raise InvalidAnswer(f"passage {unknown[0]} does not exist (there are {count})")
    if not written.answer.strip():
        raise InvalidAnswer("the answer is empty")
    return WrittenAnswer(text=written.answer.strip(), known=written.known, citations=sorted(cited))


class InvalidAnswer(ValueError):
    """The model's answer is not JSON or does not match the schema."""


def parse_answer(content: str | None, utterances: Sequence[Utterance], lines: range | None = None) -> Insights:
    """The model's JSON as Insights; `lines`: the line numbers it was shown (all by
    default), which its tasks must cite. Raises InvalidAnswer."""
    answer = _validated(Answer, content)
    shown = lines if lines is not None else range(len(utterances))
    return Insights(
        overview=answer.overview.strip(),
        key_points=_texts(answer.key_points),
        decisions=_texts(answer.decisions),
        action_items=[_action_item(item, utterances, shown) for item in answer.action_items],
        questions=_texts(answer.questions),
    )


def parse_merged(content: str | None) -> Merged:
    merged = _validated(Merged, content)
    return Merged(overview=merged.overview.strip(), key_points=_texts(merged.key_points))


def _texts(texts: Sequence[str]) -> list[str]:
    return [t.strip() for t in texts if t.strip()]


def _action_item(item: AnswerItem, utterances: Sequence[Utterance], shown: range) -> ActionItem:
    if not item.title.strip():
        raise InvalidAnswer("an action item has no title")
    if item.utterance is not None and item.utterance not in shown:
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


def numbered_lines(utterances: Sequence[Utterance]) -> list[str]:
    return [f"[{i}] {u.speaker or 'Unknown'}: {u.text.strip()}" for i, u in enumerate(utterances)]


def transcript_prompt(lines: Sequence[str], meeting_date: date, default_speaker: str | None, part: str = "") -> str:
    """The user message: the meeting date, who "I" is, which part this is of a long
    meeting, and the numbered lines."""
    head = [f"Meeting date: {meeting_date.isoformat()} ({meeting_date:%A})"]
    if default_speaker:
        head.append(f'When the speaker is Unknown, "I" is {default_speaker}.')
    if part:
        head.append(part)
    return "\n".join([*head, "", *lines])


def parts(lines: Sequence[str], chunk_chars: int) -> list[range]:
    """Consecutive runs of lines of at most `chunk_chars` each (a longer line alone)."""
    runs: list[range] = []
    start, size = 0, 0
    for index, line in enumerate(lines):
        if index > start and size + len(line) + 1 > chunk_chars:
            runs.append(range(start, index))
            start, size = index, 0
        size += len(line) + 1
    if lines:
        runs.append(range(start, len(lines)))
    return runs


def _in_language(instructions: str, language: str | None) -> str:
    if language not in WHISPER_LANGUAGES:
        return instructions
    return f"{instructions}\nThe meeting is in {WHISPER_LANGUAGES[language]}: write the summary in it."


def _unique(texts: Sequence[str]) -> list[str]:
    """`texts` without repeats (two parts may both state a decision)."""
    kept: dict[str, str] = {}
    for text in texts:
        kept.setdefault(text.casefold(), text)
    return list(kept.values())


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
        json_mode: str = "schema",
        chunk_chars: int = CHUNK_CHARS,
        http_client: httpx2.Client | None = None,
    ) -> None:
        if json_mode not in JSON_MODES:
            raise EngineError(f"unknown JSON mode {json_mode!r}: one of {', '.join(JSON_MODES)}")
        self.model = model
        self.json_mode = json_mode
        self.chunk_chars = chunk_chars
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
        lines = numbered_lines(utterances)
        runs = parts(lines, self.chunk_chars)
        instructions = _in_language(_INSTRUCTIONS, language)
        found = []
        for number, run in enumerate(runs, start=1):
            part = "" if len(runs) == 1 else (
                f"This is part {number} of {len(runs)} of the meeting, lines {run.start}-{run.stop - 1}: "
                "summarise this part."
            )
            prompt = transcript_prompt(lines[run.start : run.stop], meeting_date, default_speaker, part)
            parse = partial(parse_answer, utterances=utterances, lines=run)
            found.append(self._answered(instructions, prompt, "meeting_insights", Answer, parse))
        if len(found) == 1:
            return found[0]
        return self._merged(found, language)

    def _merged(self, found: Sequence[Insights], language: str | None) -> Insights:
        """One summary from the parts': the model merges the overviews and key points;
        decisions, questions and tasks are all kept (repeats once), nothing cut."""
        summaries = "\n\n".join(
            f"Part {n}:\nOverview: {part.overview}\nKey points:\n" + "\n".join(f"- {p}" for p in part.key_points)
            for n, part in enumerate(found, start=1)
        )
        merged = self._answered(_in_language(_MERGE_INSTRUCTIONS, language), summaries, "meeting_merged", Merged,
                                parse_merged)
        return Insights(
            overview=merged.overview,
            key_points=merged.key_points,
            decisions=_unique([d for part in found for d in part.decisions]),
            action_items=[item for part in found for item in part.action_items],
            questions=_unique([q for part in found for q in part.questions]),
        )

    def answer(self, question: str, passages: Sequence[str]) -> WrittenAnswer:
        """A short answer to `question` from the numbered `passages` only, in the
        question's language, citing them as [1], [2]; `known` False when they do not say."""
        numbered = "\n".join(f"[{n}] {text}" for n, text in enumerate(passages, start=1))
        return self._answered(
            _ANSWER_INSTRUCTIONS, f"Question: {question}\n\nPassages:\n{numbered}", "meeting_answer",
            WrittenSchema, lambda content: parse_written(content, len(passages)),
        )

    def _answered(
        self, instructions: str, prompt: str, name: str, schema: type[BaseModel], parse: Callable[[str | None], T]
    ) -> T:
        """The model's answer, parsed; one that does not fit is shown its mistake and asked again."""
        problem = ""
        followups: list[ChatCompletionMessageParam] = []
        for _ in range(ANSWER_ATTEMPTS):
            content, cut_off = self._complete(instructions, prompt, followups, name, schema)
            try:
                if cut_off:
                    raise InvalidAnswer("the answer was cut off at the server's token limit")
                return parse(content)
            except InvalidAnswer as exc:
                problem = str(exc)
                # Showing the model its mistake makes the next answer likelier to fit.
                followups += [
                    {"role": "assistant", "content": content or ""},
                    {"role": "user", "content": f"That answer was invalid ({exc}). {_AGAIN}"},
                ]
        raise EngineError(f"summary model answered badly: {problem}")

    def _complete(
        self, instructions: str, prompt: str, followups: list[ChatCompletionMessageParam], name: str,
        schema: type[BaseModel],
    ) -> tuple[str | None, bool]:
        """One chat completion, and whether it was cut off (the client retries transient
        failures itself). A server that refuses the JSON schema is asked in JSON mode from
        then on."""
        try:
            return self._create(instructions, prompt, followups, name, schema)
        except openai.APIStatusError as exc:
            if self.json_mode != "schema" or not _refuses_schema(exc):
                raise _status_error(exc) from exc
        logger.warning("summary server refuses a JSON schema; asking in JSON mode model=%s", self.model)
        self.json_mode = "object"
        try:
            return self._create(instructions, prompt, followups, name, schema)
        except openai.APIStatusError as exc:
            raise _status_error(exc) from exc

    def _create(
        self, instructions: str, prompt: str, followups: list[ChatCompletionMessageParam], name: str,
        schema: type[BaseModel],
    ) -> tuple[str | None, bool]:
        response_format: Any
        if self.json_mode == "schema":
            response_format = {
                "type": "json_schema",
                "json_schema": {"name": name, "strict": True, "schema": schema.model_json_schema()},
            }
        else:  # JSON mode: any JSON object; the schema is in the instructions and checked here
            response_format = {"type": "json_object"}
            instructions += f"\nThe JSON schema of the answer:\n{json.dumps(schema.model_json_schema())}"
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": instructions},
            {"role": "user", "content": prompt},
            *followups,
        ]
        try:
            completion = self._client.chat.completions.create(
                model=self.model, messages=messages, response_format=response_format
            )
        except openai.APIConnectionError as exc:  # timeouts included
            raise EngineUnavailable(f"summary service unreachable: {exc}") from exc
        except openai.APIStatusError:
            raise  # `_complete` tells a refused schema from an error
        except openai.OpenAIError as exc:
            raise EngineError(f"summary service failed: {exc}") from exc
        if not completion.choices:
            return None, False
        choice = completion.choices[0]
        return choice.message.content, choice.finish_reason == "length"


def _status_error(exc: openai.APIStatusError) -> EngineError:
    status = exc.status_code
    transient = status in (408, 409, 429) or status >= 500
    return engine_error(f"summary service answered {status}", transient=transient)


def _refuses_schema(exc: openai.APIStatusError) -> bool:
    """Whether a 400 (or an older llama.cpp server's 500) says the server does not take a
    JSON schema as `response_format`."""
    said = f"{exc.message} {exc.body}".lower()
    return exc.status_code in (400, 422, 500) and ("response_format" in said or "json_schema" in said)
