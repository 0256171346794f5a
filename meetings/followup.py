"""Follow-through between meetings: the decisions log, what a series' earlier meetings
left open, and open tasks that a later meeting says are done."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from rapidfuzz import fuzz

from core.errors import Forbidden, NotFound
from workspaces.models import Membership

from .models import Decision, DoneProposal, Meeting, Task
from .selectors import can_edit_task
from .services import task_update

# How many of the earlier meetings' decisions open the next meeting of a series.
CARRIED_DECISIONS = 20


@dataclass(frozen=True)
class Line:
    """A line of the transcript as follow-through reads it (the transcription app's
    segment, without depending on it)."""

    text: str
    segment_id: int | None = None


# ---------------------------------------------------------------------- decisions


def _said_in(text: str, lines: Sequence[Line]) -> int | None:
    """The line a decision (summarised, so in other words) most likely came from."""
    score, segment_id = max(
        ((fuzz.token_set_ratio(text, line.text), line.segment_id) for line in lines),
        key=lambda scored: scored[0],
        default=(0.0, None),
    )
    return segment_id if score >= 60 else None


@transaction.atomic
def decision_log_write(*, meeting: Meeting, decisions: Sequence[str], lines: Sequence[Line]) -> list[Decision]:
    """The meeting's entries in the decisions log, as its summary now states them."""
    meeting.decision_log.all().delete()
    when = meeting.started_at or meeting.created_at
    return Decision.objects.bulk_create(
        Decision(
            workspace_id=meeting.workspace_id, meeting=meeting, text=text, decided_at=when,
            source_segment_id=_said_in(text, lines),
        )
        for text in decisions
    )


def decision_list(
    *, workspace_ids: Sequence[int], search: str = "", series_id: int | None = None
) -> QuerySet[Decision]:
    decisions = Decision.objects.filter(workspace_id__in=workspace_ids).select_related(
        "meeting", "meeting__series", "source_segment"
    )
    if search:
        decisions = decisions.filter(text__icontains=search)
    if series_id is not None:
        decisions = decisions.filter(meeting__series_id=series_id)
    return decisions


# ---------------------------------------------------------------------- series


def _earlier(meeting: Meeting) -> QuerySet[Meeting]:
    """The meetings of its series before it (none when it is in no series)."""
    if meeting.series_id is None:
        return Meeting.objects.none()
    return Meeting.objects.filter(series_id=meeting.series_id, created_at__lt=meeting.created_at)


def carried_tasks(*, meeting: Meeting) -> QuerySet[Task]:
    """The series' earlier meetings' tasks still to do (accepted, not done)."""
    if meeting.series_id is None:
        return Task.objects.none()
    return (
        Task.objects.filter(meeting__in=_earlier(meeting), review=Task.Review.ACCEPTED)
        .exclude(status=Task.Status.DONE)
        .select_related("assignee", "meeting", "source_segment")
        .order_by("meeting__created_at", "id")
    )


def carry_over(*, meeting: Meeting) -> dict[str, Any] | None:
    """What the meeting opens with when it belongs to a series: the earlier meetings' open
    tasks (with any proposal of this meeting to close them) and their latest decisions."""
    if meeting.series_id is None:
        return None
    proposals = {
        p.task_id: p
        for p in meeting.done_proposals.filter(state=DoneProposal.State.PROPOSED).select_related("source_segment")
    }
    tasks = list(carried_tasks(meeting=meeting))
    decisions = list(
        Decision.objects.filter(meeting__in=_earlier(meeting)).select_related("meeting", "source_segment")[
            :CARRIED_DECISIONS
        ]
    )
    return {
        "series": meeting.series,
        "previous": _earlier(meeting).order_by("-created_at").first(),
        "tasks": [(task, proposals.get(task.id)) for task in tasks],
        "decisions": decisions,
    }


# ---------------------------------------------------------------------- done?

# Words that say a piece of work is finished ("the login error is fixed", "I sent the
# notes"), and words that say it is not, or not yet ("not fixed", "will be done").
_DONE_RE = re.compile(
    r"\b(?:done|fixed|finished|completed?|shipped|sent|merged|deployed|resolved|closed|written|wrote"
    r"|booked|submitted|published|released|sorted|handled|updated|signed|delivered|ready|live|in\s+place)\b",
    re.IGNORECASE,
)
_NOT_DONE_RE = re.compile(
    r"\b(?:not|no|isn't|aren't|wasn't|weren't|haven't|hasn't|didn't|never|still|yet|almost|nearly|soon"
    r"|will|won't|going\s+to|gonna|tomorrow|next|once|when|if|until|before|need|needs|should|hope|maybe)\b",
    re.IGNORECASE,
)
_STOP = frozenset({
    "a", "an", "the", "and", "or", "of", "to", "for", "in", "on", "at", "by", "with", "from", "this", "that",
    "these", "those", "it", "its", "our", "your", "their", "my", "we", "i", "you", "he", "she", "they", "them",
    "us", "me", "please", "all", "new",
})


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _content(text: str) -> set[str]:
    return {_stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP and len(w) > 1}


def said_done(task_title: str, sentence: str) -> bool:
    """Whether `sentence` reports the task finished: a word of completion, nothing that
    says "not yet", and half of what the task is about ("Fix the login error" → login,
    error; its first word, the verb, is left to the completion word)."""
    if sentence.rstrip().endswith("?") or not _DONE_RE.search(sentence) or _NOT_DONE_RE.search(sentence):
        return False
    about = _content(" ".join(task_title.split()[1:]))
    if not about:
        return False
    # Half is enough: "the venue is booked" for "Book the venue for the offsite". It is
    # only a proposal, and only for the series' own open tasks.
    return len(about & _content(sentence)) >= max(1, math.ceil(len(about) / 2))


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def done_proposals_find(*, meeting: Meeting, lines: Sequence[Line]) -> list[DoneProposal]:
    """Propose closing each carried-over task that a line of this meeting says is done
    (once per task and meeting: a proposal turned down is not made again)."""
    proposals = []
    said = [(line, sentence) for line in lines for sentence in _sentences(line.text)]
    for task in carried_tasks(meeting=meeting):
        line, sentence = next(((line, s) for line, s in said if said_done(task.title, s)), (None, ""))
        if line is not None:
            proposal, created = DoneProposal.objects.get_or_create(
                task=task, meeting=meeting, defaults={"said": sentence[:300], "source_segment_id": line.segment_id}
            )
            if created:
                proposals.append(proposal)
    return proposals


def done_proposal_get(*, meeting: Meeting, proposal_id: int, membership: Membership) -> DoneProposal:
    """A proposal of the meeting, for one who may decide it: whoever may change the task."""
    proposal = meeting.done_proposals.select_related("task__meeting", "task__workspace").filter(pk=proposal_id).first()
    if proposal is None:
        raise NotFound("Proposal not found.")
    if not can_edit_task(proposal.task, membership):
        raise Forbidden("Only the assignee, its creator, the organizer or an admin can close this task.")
    return proposal


def done_proposal_decide(*, proposal: DoneProposal, membership: Membership, done: bool) -> DoneProposal:
    """Close the task (it was done) or keep it open (it was not); either way the proposal
    is settled."""
    with transaction.atomic():
        if done:  # through the task's own rules, events and webhooks
            task_update(task=proposal.task, membership=membership, status=Task.Status.DONE)
        proposal.state = DoneProposal.State.CONFIRMED if done else DoneProposal.State.REJECTED
        proposal.save(update_fields=["state"])
    return proposal
