from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from ask.models import Passage


def test_reindex_a_workspace_shows_progress(standup: Any, pricing: Any) -> None:
    out = StringIO()

    call_command("reindex", workspace=standup.workspace_id, stdout=out)

    assert "[##############################] 2/2 meetings, 12 passages" in out.getvalue()
    assert "Indexed 2 meeting(s), 12 passage(s)" in out.getvalue()
    assert Passage.objects.count() == 12


def test_reindex_everything(standup: Any, outsider: Any) -> None:
    from tests.factories import MeetingFactory, SegmentFactory

    other = MeetingFactory(title="Elsewhere")
    SegmentFactory(meeting=other, text="A line somewhere else.", kind="refined")

    call_command("reindex", stdout=StringIO())

    assert set(Passage.objects.values_list("meeting_id", flat=True)) == {standup.id, other.id}


def test_reindex_an_unknown_workspace_fails_clearly(db: Any) -> None:
    with pytest.raises(CommandError, match="no workspace 999"):
        call_command("reindex", workspace=999, stdout=StringIO())
