"""The Ask box on the meetings page and its answer, in place (HTMX)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ask.models import Passage
from tests.factories import MembershipFactory, WorkspaceFactory
from transcription.jobs import purge_expired
from workspaces.models import Membership, Role

HTMX = {"HTTP_HX_REQUEST": "true"}


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ask(user: Any, workspace_id: int, question: str, **filters: Any) -> Any:
    return signed_in(user).get(f"/w/{workspace_id}/ask/", {"q": question, **filters}, **HTMX)


def test_the_meetings_page_has_the_ask_box(owner: Any, workspace: Any, standup: Any) -> None:
    page = signed_in(owner).get(f"/w/{workspace.id}/meetings/").content.decode()

    assert f'hx-get="/w/{workspace.id}/ask/"' in page
    assert 'id="ask-answer"' in page


def test_the_answer_shows_the_passage_meeting_speaker_and_moment(owner: Any, indexed: Any) -> None:
    standup = indexed[0]
    carol = Passage.objects.get(meeting=standup, line__startswith="I will write")

    response = ask(owner, standup.workspace_id, "Who is writing the survey report?")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<section id="ask-answer"')
    assert "I will write the <mark>survey</mark> <mark>report</mark> by Friday." in html
    assert "Weekly product meeting" in html
    assert '<strong class="speaker">Carol:</strong>' in html
    assert f'href="/meetings/{standup.id}/?t=25#segment-{carol.segment_id}"' in html
    assert "Ship the mobile release on Monday." not in html  # a decision that does not match
    assert "Write the survey report" in html  # the matching task


def test_the_page_works_without_htmx(owner: Any, indexed: Any) -> None:
    response = signed_in(owner).get(f"/w/{indexed[0].workspace_id}/ask/", {"q": "survey report"})

    assert response.status_code == 200
    assert "<h1>Ask Mina</h1>" in response.content.decode()
    assert "I will write the <mark>survey</mark>" in response.content.decode()


def test_the_meeting_page_opens_at_the_moment(owner: Any, indexed: Any) -> None:
    carol = Passage.objects.get(meeting=indexed[0], line__startswith="I will write")

    response = signed_in(owner).get(f"/meetings/{indexed[0].id}/", {"t": 25})

    assert response.status_code == 200
    assert f'id="segment-{carol.segment_id}"' in response.content.decode()


@pytest.mark.parametrize(("question", "status"), [("", 400), ("x" * 501, 400), ("a\x01b", 400), ("ok?", 200)])
def test_bad_questions_get_a_readable_400(owner: Any, indexed: Any, question: str, status: int) -> None:
    response = ask(owner, indexed[0].workspace_id, question)

    assert response.status_code == status
    if status == 400:
        assert response["HX-Retarget"] == "#flash"
        assert "question" in response.content.decode().lower()


def test_another_workspace_is_not_found(indexed: Any, outsider: Any) -> None:
    assert ask(outsider, indexed[0].workspace_id, "survey report").status_code == 404


def test_a_meeting_filter_of_another_workspace_is_not_found(indexed: Any, outsider: Any) -> None:
    mine = Membership.objects.get(user=outsider).workspace

    assert ask(outsider, mine.id, "survey", meeting=indexed[0].id).status_code == 404


def test_a_viewer_may_ask(indexed: Any, member_of: Any) -> None:
    viewer = member_of(indexed[0].workspace, Role.VIEWER)

    assert "survey</mark>" in ask(viewer, indexed[0].workspace_id, "survey report").content.decode()


def test_removed_from_the_workspace_the_next_question_is_not_found(indexed: Any, member_of: Any) -> None:
    user = member_of(indexed[0].workspace, Role.MEMBER)
    MembershipFactory(user=user, workspace=WorkspaceFactory(), role=Role.OWNER)
    assert ask(user, indexed[0].workspace_id, "survey report").status_code == 200

    Membership.objects.filter(user=user, workspace=indexed[0].workspace).delete()

    response = ask(user, indexed[0].workspace_id, "survey report")
    assert response.status_code == 404
    assert "I will write the" not in response.content.decode()


def test_a_purged_meeting_is_gone_from_the_answer(owner: Any, indexed: Any) -> None:
    standup, _ = indexed
    workspace = standup.workspace
    assert "I will write the <mark>survey" in ask(owner, workspace.id, "survey report").content.decode()
    workspace.retention_days = 1
    workspace.save()
    type(standup).objects.filter(pk=standup.pk).update(created_at="2020-01-01T00:00:00Z")

    purge_expired()

    html = ask(owner, workspace.id, "survey report").content.decode()
    assert "I will write the" not in html
    assert "Weekly product meeting" not in html


def test_nothing_indexed_says_so(owner: Any, standup: Any) -> None:
    html = ask(owner, standup.workspace_id, "survey report").content.decode()

    assert "Nothing is indexed yet" in html
