"""Questions answered from the index: hybrid retrieval (meaning and keywords scored
together), always scoped to the asker's workspaces as they are at this very request."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from core.errors import Invalid, NotFound
from meetings.models import Meeting, Task
from meetings.selectors import meeting_get, moment_url, workspace_ids_of
from transcription.engines import get_answer_engine
from transcription.engines.base import EngineError, WrittenAnswer

from . import embedder, vectors
from .models import MeetingIndex, Passage

logger = logging.getLogger(__name__)

QUESTION_MAX = 500
# Passages ranked before the neighbours of better ones are left out and `limit` kept.
CANDIDATES = 50
# Hybrid score: the cosine of the question and the passage, plus this times the share of
# the question's words the line holds. Chosen on the tune split of benchmarks/ask.py
# (0.02-0.07 tried): cosines of e5 sit close together (0.75-0.9), so holding every word
# moves a line past most others that mean about as much, never past a clearly better
# meaning. Reciprocal rank fusion, before, let a line middling in both rankings beat the
# line meaning alone ranked first (docs/architecture.md).
KEYWORD_WEIGHT = 0.04
# Words that say nothing about what was said; a question of only these is ranked by
# meaning (keyword search alone matches it whole, as the meetings search does).
STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does for from had has have how i if in into is it
    its me my no not of on or our so that the their them then there these they this to us was we were what
    when where which who whom why will with would you your about any anything said say talk talked last
    anyone someone""".split()  # noqa: SIM905 - a paragraph of words reads better than 80 quoted ones
)
WORD = re.compile(r"\w+", re.UNICODE)


@dataclass
class Hit:
    passage: Passage
    score: float
    marked: SafeString
    url: str

    @property
    def meeting(self) -> Meeting:
        return self.passage.meeting

    @property
    def speaker(self) -> str:
        return self.passage.participant.name if self.passage.participant else ""


@dataclass
class MeetingAnswer:
    meeting: Meeting
    hits: list[Hit]
    decisions: list[str] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)


@dataclass(frozen=True)
class Citation:
    n: int
    hit: Hit


@dataclass
class Written:
    """The chat model's answer from the hits: its text with each [n] a link to hit n."""

    text: str
    known: bool
    citations: list[Citation]
    html: SafeString


@dataclass
class Answer:
    question: str
    hits: list[Hit]
    meetings: list[MeetingAnswer]
    indexed: bool  # anything to answer from at all
    partial: bool  # meetings still being indexed: the answer may miss what they hold
    message: str
    written: Written | None = None  # only with the OpenAI-compatible engine configured


def question_clean(text: Any) -> str:
    """The question, or Invalid: empty, too long, or not text (control characters, or
    bytes that were not UTF-8 and came back as U+FFFD)."""
    if not isinstance(text, str):
        raise Invalid("Ask a question in words.", fields={"question": ["Must be text."]})
    text = text.strip()
    if not text:
        raise Invalid("Ask a question.", fields={"question": ["This field is required."]})
    if len(text) > QUESTION_MAX:
        raise Invalid(
            f"Keep the question under {QUESTION_MAX} characters.",
            fields={"question": [f"At most {QUESTION_MAX} characters."]},
        )
    if "\ufffd" in text or any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in text):
        raise Invalid("The question must be plain text.", fields={"question": ["Not plain text."]})
    return text


def terms_of(question: str) -> list[str]:
    words = [w.lower() for w in WORD.findall(question)]
    terms = list(dict.fromkeys(w for w in words if w not in STOPWORDS and len(w) > 1))
    return terms[:12] or [question.lower()]


def scope(
    *,
    user: Any,
    workspace_id: int | None = None,
    meeting_id: int | None = None,
    speaker: str = "",
    since: date | None = None,
    until: date | None = None,
) -> tuple[list[int], QuerySet[Passage]]:
    """The asker's workspaces (one, when asked) and the passages the filters allow.

    Memberships are read now, not remembered: someone removed gets nothing from the next
    question on. Another workspace's or meeting's id is NotFound, as everywhere."""
    workspace_ids = workspace_ids_of(user) if getattr(user, "is_authenticated", False) else []
    if workspace_id is not None:
        if workspace_id not in workspace_ids:
            raise NotFound("Workspace not found.")
        workspace_ids = [workspace_id]
    passages = Passage.objects.filter(workspace_id__in=workspace_ids)
    if meeting_id is not None:
        meeting, _ = meeting_get(user=user, meeting_id=meeting_id)
        if meeting.workspace_id not in workspace_ids:
            raise NotFound("Meeting not found.")
        passages = passages.filter(meeting_id=meeting.id)
    if speaker:
        passages = passages.filter(participant__name__iexact=speaker.strip())
    if since:
        passages = passages.filter(meeting__created_at__date__gte=since)
    if until:
        passages = passages.filter(meeting__created_at__date__lte=until)
    return workspace_ids, passages


def by_keywords(
    terms: list[str], workspace_ids: list[int], passages: QuerySet[Passage], *, meeting_id: int | None,
    allowed: set[int] | None,
) -> list[int]:
    """The meetings search's substring match, per word: lines that hold more of the
    question's words first. Words are looked up in each workspace's index in memory; a
    question of stop words only is matched whole, in the database."""
    if all(WORD.fullmatch(term) for term in terms):
        return vectors.with_words(workspace_ids, terms, k=CANDIDATES, meeting_id=meeting_id, allowed_ids=allowed)
    return by_keywords_in_database(terms, passages)


def by_keywords_in_database(terms: list[str], passages: QuerySet[Passage]) -> list[int]:
    matched = sum(
        (
            Case(When(line__icontains=term, then=Value(1)), default=Value(0), output_field=IntegerField())
            for term in terms
        ),
        Value(0),
    )
    ranked = passages.annotate(matched=matched).filter(matched__gt=0).order_by("-matched", "-id")
    return list(ranked.values_list("id", flat=True)[:CANDIDATES])


def mark(text: str, terms: list[str]) -> SafeString:
    """The text, escaped, with the question's words in <mark>."""
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    out, last = [], 0
    for match in pattern.finditer(text):
        out += [escape(text[last : match.start()]), f"<mark>{escape(match.group(0))}</mark>"]
        last = match.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece of text above is escaped


def passage_url(passage: Passage) -> str:
    return moment_url(passage.meeting_id, passage.start_ms, passage.segment_id)


def search(
    *,
    user: Any,
    question: str,
    workspace_id: int | None = None,
    meeting_id: int | None = None,
    speaker: str = "",
    since: date | None = None,
    until: date | None = None,
    limit: int = 10,
    mode: str = "hybrid",
) -> tuple[list[Hit], list[int], list[str]]:
    """The best passages for the question, best first: (hits, workspace ids, terms)."""
    question = question_clean(question)
    workspace_ids, passages = scope(
        user=user, workspace_id=workspace_id, meeting_id=meeting_id, speaker=speaker, since=since, until=until
    )
    terms = terms_of(question)
    # Speaker and date filters are rows of the database, not of the in-memory index: their
    # ids narrow it (a meeting filter is a column of it).
    allowed = set(passages.values_list("id", flat=True)) if speaker or since or until else None
    in_memory: dict[str, Any] = {"k": CANDIDATES, "meeting_id": meeting_id, "allowed_ids": allowed}
    if mode == "keyword":
        ranked = by_keywords(terms, workspace_ids, passages, meeting_id=meeting_id, allowed=allowed)
        scores = {passage_id: 1.0 / (rank + 1) for rank, passage_id in enumerate(ranked)}
    elif mode == "hybrid" and all(WORD.fullmatch(term) for term in terms):
        asked = embedder.query(question)
        scores = dict(vectors.hybrid(workspace_ids, asked, terms, keyword_weight=KEYWORD_WEIGHT, **in_memory))
    else:  # by meaning; so is a question of stop words only in hybrid search: its words say nothing
        scores = dict(vectors.nearest(workspace_ids, embedder.query(question), **in_memory))
    # Read back through the scoped query: a passage deleted, or of a workspace the asker
    # just left, is never shown, whatever an in-memory matrix still holds.
    found = passages.filter(id__in=scores).select_related("meeting", "participant")
    hits: list[Hit] = []
    for passage in sorted(found, key=lambda p: (-scores[p.id], p.id)):
        # Neighbouring lines share their context: one of them says it.
        if any(
            h.passage.meeting_id == passage.meeting_id and abs(h.passage.position - passage.position) <= 1 for h in hits
        ):
            continue
        hits.append(
            Hit(passage=passage, score=scores[passage.id], marked=mark(passage.line, terms), url=passage_url(passage))
        )
        if len(hits) == limit:
            break
    return hits, workspace_ids, terms


def ask(*, user: Any, question: str, limit: int = 10, **filters: Any) -> Answer:
    """The offline answer: the best passages grouped by meeting (best meeting first), with
    that meeting's decisions and tasks that share the question's words or its passages."""
    hits, workspace_ids, terms = search(user=user, question=question, limit=limit, **filters)
    states = MeetingIndex.objects.filter(workspace_id__in=workspace_ids)
    indexed = (
        states.filter(status=MeetingIndex.Status.DONE).exists()
        or Passage.objects.filter(workspace_id__in=workspace_ids).exists()
    )
    partial = states.filter(status__in=[MeetingIndex.Status.PENDING, MeetingIndex.Status.INDEXING]).exists()
    groups: dict[int, MeetingAnswer] = {}
    for hit in hits:
        groups.setdefault(hit.passage.meeting_id, MeetingAnswer(meeting=hit.meeting, hits=[])).hits.append(hit)
    _add_decisions_and_tasks(list(groups.values()), terms)
    message = _message(indexed=indexed, partial=partial, found=bool(hits))
    written = None
    if hits and (writer := get_answer_engine()) is not None:
        try:
            written = _written(writer.answer(question_clean(question), [_for_the_model(h) for h in hits]), hits)
        except EngineError as exc:  # the passages are the answer, as offline
            logger.warning("ask: no written answer (%s)", exc)
            unavailable = "The written answer is unavailable right now: here are the passages."
            message = f"{message} {unavailable}".strip()
    return Answer(
        question=question_clean(question),
        hits=hits,
        meetings=list(groups.values()),
        indexed=indexed,
        partial=partial,
        message=message,
        written=written,
    )


def _for_the_model(hit: Hit) -> str:
    """A passage as the model reads it: who, in which meeting, when, and the lines around."""
    meeting = hit.meeting
    when = (meeting.started_at or meeting.created_at).date().isoformat()
    said = " ".join(filter(None, [hit.passage.before, hit.passage.line, hit.passage.after]))
    return f"{hit.speaker or 'Unknown speaker'} in “{meeting.title}” ({when}): {said}"


_CITATION = re.compile(r"\[(\d+)\]")


def _written(answer: WrittenAnswer, hits: list[Hit]) -> Written:
    """Each [n] of the text becomes a link that plays passage n (the text is escaped)."""
    def link(match: re.Match[str]) -> str:
        hit = hits[int(match.group(1)) - 1]
        return f'<a class="cite" href="{escape(hit.url)}">[{match.group(1)}]</a>'

    html = _CITATION.sub(link, str(escape(answer.text)))
    citations = [Citation(n, hits[n - 1]) for n in answer.citations]
    return Written(text=answer.text, known=answer.known, citations=citations, html=mark_safe(html))  # noqa: S308


def _add_decisions_and_tasks(groups: list[MeetingAnswer], terms: list[str]) -> None:
    if not groups:
        return
    by_meeting = {g.meeting.id: g for g in groups}
    segment_ids = {h.passage.segment_id for g in groups for h in g.hits}

    def matches(text: str) -> bool:
        return any(t in text.lower() for t in terms)

    for meeting in Meeting.objects.filter(id__in=by_meeting).select_related("summary"):
        summary = getattr(meeting, "summary", None)
        decisions = summary.decisions if summary else []
        by_meeting[meeting.id].decisions = [d for d in decisions if isinstance(d, str) and matches(d)]
    tasks = (
        Task.objects.filter(meeting_id__in=by_meeting)
        .exclude(review=Task.Review.DISMISSED)
        .select_related("assignee")
        .order_by("id")
    )
    for task in tasks:
        if task.source_segment_id in segment_ids or matches(task.title):
            by_meeting[task.meeting_id].tasks.append(task)  # type: ignore[index]


def _message(*, indexed: bool, partial: bool, found: bool) -> str:
    if not indexed:
        if partial:
            return "Mina is indexing your meetings: nothing is searchable yet. Ask again in a minute."
        return "Nothing is indexed yet: meetings become searchable once their transcript is final."
    if partial:
        return "Some meetings are still being indexed: this answer comes from those already done."
    return "" if found else "Nothing said in your meetings matches that question."
