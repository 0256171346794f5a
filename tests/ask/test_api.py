"""POST /api/v1/ask/: answers from the asker's workspaces only, and bad input is a 400."""

from __future__ import annotations

from typing import Any

import pytest

from ask import services
from ask.models import MeetingIndex
from tests.api.helpers import client_for, error_code
from tests.factories import MembershipFactory, WorkspaceFactory
from workspaces.models import Membership, Role

from .conftest import make_meeting

URL = "/api/v1/ask/"


def ask(user: Any, question: Any, **filters: Any) -> Any:
    return client_for(user).post(URL, {"question": question, **filters}, format="json")


def lines(response: Any) -> list[str]:
    return [p["text"] for p in response.json()["passages"]]


def test_it_answers_with_the_line_that_says_it(owner: Any, indexed: Any) -> None:
    response = ask(owner, "Who is writing the survey report?")

    assert response.status_code == 200, response.content
    best = response.json()["passages"][0]
    assert best["text"] == "I will write the survey report by Friday."
    assert best["speaker"] == "Carol"
    assert best["meeting_title"] == "Weekly product meeting"
    assert best["marked"] == "I will write the <mark>survey</mark> <mark>report</mark> by Friday."
    assert best["url"] == f"/meetings/{indexed[0].id}/?t=25#segment-{best['segment']}"
    assert best["start_ms"] == 25000


def test_the_answer_is_grouped_by_meeting_with_its_decisions_and_tasks(owner: Any, indexed: Any) -> None:
    body = ask(owner, "When do we ship the mobile release?").json()

    standup = body["meetings"][0]
    assert standup["title"] == "Weekly product meeting"
    assert "We decided to ship the mobile release on Monday." in [p["text"] for p in standup["passages"]]
    assert standup["decisions"] == ["Ship the mobile release on Monday."]
    assert body["partial"] is False and body["indexed"] is True


def test_a_task_shows_with_the_meeting_whose_words_match(owner: Any, indexed: Any) -> None:
    body = ask(owner, "survey report").json()

    tasks = [t["title"] for m in body["meetings"] for t in m["tasks"]]
    assert tasks == ["Write the survey report"]


def test_meaning_finds_what_keywords_miss(owner: Any, indexed: Any) -> None:
    # No word of the question is in the line: only the embedding connects them.
    best = ask(owner, "How much will subscriptions cost?").json()["passages"][0]

    assert best["meeting_title"] == "Pricing review"
    assert "<mark>" not in best["marked"]


def test_a_line_sharing_one_everyday_word_does_not_outrank_the_answer(owner: Any, indexed: Any) -> None:
    # "new" is in two pricing lines; the line that says when holds no word of the question.
    # (With the two rankings fused by rank, "… also need new screenshots." came first.)
    top = lines(ask(owner, "When will the new prices start?"))

    assert "Agreed, the pricing change takes effect in March." in top[:2]
    assert top.index("Agreed, the pricing change takes effect in March.") < top.index(
        "Good. The onboarding emails also need new screenshots."
    )


def test_the_line_holding_the_questions_words_beats_one_only_near_in_meaning(owner: Any, indexed: Any) -> None:
    # Meaning alone ranks "We decided to ship the mobile release on Monday." first.
    best = lines(ask(owner, "What did people ask for in the survey?"))[0]

    assert best == "I read the customer survey. People want faster search and better exports."


@pytest.mark.parametrize(
    ("name", "value"),
    [("meeting", "pricing"), ("speaker", "Tom"), ("since", "2999-01-01")],
)
def test_filters_narrow_the_passages(owner: Any, indexed: Any, name: str, value: str) -> None:
    standup, pricing = indexed
    filters = {"meeting": pricing.id} if name == "meeting" else {name: value}

    found = ask(owner, "who will write something?", **filters).json()["passages"]

    if name == "since":
        assert found == []
    else:
        assert found and {p["meeting"] for p in found} == {pricing.id}
    if name == "speaker":
        assert {p["speaker"] for p in found} == {"Tom"}


def test_another_workspace_never_answers(owner: Any, indexed: Any, outsider: Any) -> None:
    other = Membership.objects.get(user=outsider).workspace
    make_meeting(other, outsider, "Outsider's meeting", [("Eve", "The survey report of the outsiders.")])
    services.meeting_index(meeting_id=other.meetings.get().id)

    mine = ask(outsider, "Who is writing the survey report?").json()

    assert {p["meeting_title"] for p in mine["passages"]} == {"Outsider's meeting"}
    assert ask(outsider, "survey", workspace=indexed[0].workspace_id).status_code == 404
    assert ask(outsider, "survey", meeting=indexed[0].id).status_code == 404
    assert ask(owner, "survey", meeting=other.meetings.get().id).status_code == 404


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MEMBER, Role.ADMIN])
def test_every_role_of_the_workspace_may_ask(indexed: Any, member_of: Any, role: str) -> None:
    user = member_of(indexed[0].workspace, role)

    assert "I will write the survey report by Friday." in lines(ask(user, "Who writes the survey report?"))


def test_a_removed_member_gets_nothing_from_the_next_question(indexed: Any, member_of: Any) -> None:
    user = member_of(indexed[0].workspace, Role.MEMBER)
    assert lines(ask(user, "survey report"))
    # In another workspace too, so the user still has somewhere to ask.
    MembershipFactory(user=user, workspace=WorkspaceFactory(), role=Role.OWNER)

    Membership.objects.filter(user=user, workspace=indexed[0].workspace).delete()

    assert lines(ask(user, "survey report")) == []
    assert ask(user, "survey report", workspace=indexed[0].workspace_id).status_code == 404


def test_a_deleted_meeting_is_never_an_answer(owner: Any, indexed: Any) -> None:
    standup = indexed[0]
    assert "I will write the survey report by Friday." in lines(ask(owner, "survey report"))

    assert client_for(owner).delete(f"/api/v1/meetings/{standup.id}/").status_code == 204

    found = ask(owner, "survey report").json()["passages"]
    assert {p["meeting_title"] for p in found} <= {"Pricing review"}


@pytest.mark.parametrize(
    ("question", "why"),
    [
        ("", "question"),
        ("   ", "question"),
        ("x" * 501, "question"),
        ("what\x00now", "question"),
        ("what\x01\x02now", "question"),
        ("caf\ufffd bytes", "question"),
        (None, "question"),
        (["a", "list"], "question"),
    ],
)
def test_bad_questions_are_a_clear_400(owner: Any, indexed: Any, question: Any, why: str) -> None:
    response = ask(owner, question)

    assert response.status_code == 400, response.content
    assert error_code(response) == "validation_error"
    assert why in response.json()["error"]["fields"]


def test_a_binary_body_is_a_400(owner: Any) -> None:
    response = client_for(owner).post(URL, data=b"\xff\xfe\x00\x01", content_type="application/json")

    assert response.status_code == 400
    assert error_code(response) == "validation_error"


def test_a_question_of_500_characters_is_fine(owner: Any, indexed: Any) -> None:
    assert ask(owner, ("survey report " * 40)[:500]).status_code == 200


def test_nothing_indexed_yet_says_so(owner: Any, standup: Any) -> None:
    body = ask(owner, "Who is writing the survey report?").json()

    assert body["indexed"] is False
    assert body["passages"] == []
    assert body["message"].startswith("Nothing is indexed yet")


def test_while_indexing_it_answers_from_what_is_indexed_and_says_so(owner: Any, workspace: Any, indexed: Any) -> None:
    later = make_meeting(workspace, owner, "Not indexed yet", [("Zed", "The survey report is late.")])
    MeetingIndex.objects.create(meeting=later, workspace=workspace, status=MeetingIndex.Status.INDEXING)

    body = ask(owner, "survey report").json()

    assert body["partial"] is True
    assert "still being indexed" in body["message"]
    assert "I will write the survey report by Friday." in lines_of(body)


def lines_of(body: dict[str, Any]) -> list[str]:
    return [p["text"] for p in body["passages"]]


def test_signed_out_is_401(client: Any) -> None:
    assert client.post(URL, {"question": "x"}, content_type="application/json").status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"question": {"a": 1}},
        {"question": "ok", "limit": 0},
        {"question": "ok", "limit": 51},
        {"question": "ok", "since": "not a date"},
        {"question": "ok", "meeting": -1},
        {"question": "ok", "workspace": 2**70},
        {"question": "ok", "speaker": "x" * 151},
        {},
    ],
)
def test_malformed_fields_are_a_400_never_a_500(owner: Any, body: dict[str, Any]) -> None:
    response = client_for(owner).post(URL, body, format="json")

    assert response.status_code == 400, response.content
    assert error_code(response) == "validation_error"
