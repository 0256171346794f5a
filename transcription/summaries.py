"""Summaries and the tasks they create, from the transcript people read."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.languages import AUTO
from meetings import events, followup
from meetings.models import Meeting, Summary, Task
from meetings.signals import decisions_created, send_on_commit, task_created, task_updated
from workspaces.models import Workspace

from .engines import get_summary_engine
from .engines.base import Utterance
from .engines.names import match_member
from .models import Segment
from .selectors import segment_list

logger = logging.getLogger(__name__)


def _uploader_name(meeting: Meeting) -> str | None:
    upload = meeting.recordings.filter(uploaded_by__isnull=False).select_related("uploaded_by").first()
    return upload.uploaded_by.name if upload and upload.uploaded_by else None


def _normalise(title: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", title.lower()).strip()


def summary_generate(*, meeting: Meeting) -> Summary:
    """Write (or rewrite) the meeting's summary and its tasks.

    Idempotent: tasks already there with the same title are updated, not duplicated,
    and a task a person has edited is left alone.
    """
    segments = segment_list(meeting=meeting)
    utterances = [
        Utterance(
            text=s.text,
            start_ms=s.start_ms,
            speaker=s.participant.name if s.participant else None,
            segment_id=s.id,
        )
        for s in segments
        if s.fallback != Segment.Fallback.INAUDIBLE
    ]
    members = {
        m.user: [m.user.display_name, m.user.name, m.user.email.split("@")[0]]
        for m in meeting.workspace.memberships.select_related("user")
    }
    # A speaker label renamed on the page still belongs to its member.
    for participant in meeting.participants.filter(user__isnull=False):
        if participant.user in members:
            members[participant.user].append(participant.name)
    engine = get_summary_engine(known_names=tuple(n for names in members.values() for n in names if n))
    # "Today" is the day on the site's clock, not UTC's (a morning meeting in Auckland).
    meeting_date = timezone.localdate(meeting.started_at or meeting.created_at)
    spoken = meeting.spoken_language
    insights = engine.summarize(
        utterances, meeting_date=meeting_date, default_speaker=_uploader_name(meeting),
        language=None if spoken == AUTO else spoken,
    )
    with transaction.atomic():
        stated = Summary.objects.filter(meeting=meeting).values_list("decisions", flat=True).first() or []
        summary, _ = Summary.objects.update_or_create(
            meeting=meeting,
            defaults={
                "overview": insights.overview,
                "key_points": insights.key_points,
                "decisions": insights.decisions,
                "questions": insights.questions,
                "engine": engine.name,
                "model": engine.model,
            },
        )
        existing: dict[str, list[Task]] = {}
        for stored in meeting.tasks.order_by("pk"):
            existing.setdefault(stored.source_key or _normalise(stored.title), []).append(stored)
        seen: set[tuple[str, str]] = set()
        keep: list[int] = []
        for item in insights.action_items:
            key = _normalise(item.title)
            # The same words for two people are two tasks ("Jin and Amara, please ...").
            if not key or (key, item.owner_name or "") in seen:
                continue
            seen.add((key, item.owner_name or ""))
            assignee = match_member(item.owner_name, members) if item.owner_name else None
            fields = {
                "assignee": assignee,
                "owner_name": "" if assignee else (item.owner_name or ""),
                "due_date": item.due_date,
                "source_segment_id": item.segment_id,
                "confidence": item.confidence,
                "review": _review(meeting.workspace, item.confidence),
            }
            task = existing[key].pop(0) if existing.get(key) else None
            if task is None:
                title = _sentence_case(item.title)
                task = Task.objects.create(
                    workspace=meeting.workspace, meeting=meeting, title=title, source_key=key, **fields
                )
                _send(meeting.id, events.task_event(task, created=True))
                send_on_commit(task_created, task=task)
            elif not task.edited:
                for name, value in fields.items():
                    setattr(task, name, value)
                task.save()
                _send(meeting.id, events.task_event(task, created=False))
                send_on_commit(task_updated, task=task)
            keep.append(task.pk)
        # Items the transcript no longer supports go, unless a person touched them.
        meeting.tasks.filter(edited=False).exclude(pk__in=keep).delete()
        lines = [followup.Line(u.text, u.segment_id) for u in utterances]
        followup.decision_log_write(meeting=meeting, decisions=insights.decisions, lines=lines)
        followup.done_proposals_find(meeting=meeting, lines=lines)
        _send(meeting.id, events.summary_ready(summary))
        new_decisions = [d for d in insights.decisions if d not in stated]
        if new_decisions:
            send_on_commit(decisions_created, meeting=meeting, decisions=new_decisions)
    logger.info("summary written meeting=%s tasks=%s", meeting.id, len(seen))
    return summary


# A task found this surely is accepted at once where the workspace accepts "the clear
# ones" (ActionItem.confidence: a promise, or a request that was answered "sure").
CLEAR_TASK = 0.75


def _review(workspace: Workspace, confidence: float) -> str:
    """Whether a task found in a meeting starts accepted or waits as a suggestion."""
    accept = workspace.accept_tasks
    if accept == Workspace.TaskAcceptance.ALWAYS or (
        accept == Workspace.TaskAcceptance.CONFIDENT and confidence >= CLEAR_TASK
    ):
        return Task.Review.ACCEPTED
    return Task.Review.SUGGESTED


def _sentence_case(title: str) -> str:
    """A title as a person writes it: "Fix the login error"."""
    return title[:1].upper() + title[1:]


def _send(meeting_id: int, event: dict[str, Any]) -> None:
    transaction.on_commit(lambda: events.send(meeting_id, event))
