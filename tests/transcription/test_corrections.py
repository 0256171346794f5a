"""Learning from corrections: a line corrected by hand offers its new word to the
glossary, and to fix the same misheard words in the meeting's other lines."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent
from tests.api.helpers import client_for
from tests.factories import SegmentFactory
from transcription.corrections import Replacement, replaced_words
from workspaces.models import GlossaryTerm, Role

pytestmark = pytest.mark.django_db


def test_the_replaced_words_are_found_and_case_alone_is_no_correction():
    assert replaced_words("moved the cluster to cumulative nodes.", "Moved the cluster to Kubelet nodes") == [
        Replacement("cumulative", "Kubelet")
    ]
    assert replaced_words("ask pre ev about it", "ask Priya about it") == [Replacement("pre ev", "Priya")]
    assert replaced_words("the login error", "The Login error!") == []
    assert replaced_words("a b c d e f", "g h i j k l") == [], "a rewrite teaches no word"


@pytest.fixture
def lines(meeting):
    texts = [
        "We moved the cluster to cumulative nodes.",
        "The cumulative nodes are faster.",
        "Cumulative, again.",
        "Nothing cumulatively wrong here.",
    ]
    return [SegmentFactory(meeting=meeting, text=t, start_ms=i * 1000, end_ms=i * 1000 + 900) for i, t in enumerate(texts)]


def test_a_correction_on_the_page_offers_the_glossary_and_the_other_lines(meeting, owner, lines, client):
    client.force_login(owner)
    page = client.post(
        f"/meetings/{meeting.id}/segments/{lines[0].id}/",
        {"text": "We moved the cluster to Kubelet nodes."},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Add “Kubelet” to the glossary" in page
    assert "Fix “cumulative” in 2 more lines" in page

    done = client.post(f"/meetings/{meeting.id}/glossary/", {"term": "Kubelet"}, HTTP_HX_REQUEST="true")
    assert done.status_code == 200 and "is in the glossary" in done.content.decode()
    assert GlossaryTerm.objects.filter(workspace=meeting.workspace, term="Kubelet").exists()

    done = client.post(
        f"/meetings/{meeting.id}/replace/", {"wrong": "cumulative", "right": "Kubelet"}, HTTP_HX_REQUEST="true"
    )
    assert "in 2 more lines" in done.content.decode()
    texts = [s.text for s in meeting.segments.order_by("start_ms")]
    assert texts == [
        "We moved the cluster to Kubelet nodes.",
        "The Kubelet nodes are faster.",
        "Kubelet, again.",
        "Nothing cumulatively wrong here.",  # whole words only
    ]
    assert all(s.edited for s in meeting.segments.order_by("start_ms")[:3])
    assert AuditEvent.objects.filter(action="transcript_replaced").exists()

    again = client.post(
        f"/meetings/{meeting.id}/segments/{lines[3].id}/",
        {"text": "Nothing Kubelet wrong here."},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "to the glossary" not in again, "already in the glossary"


def test_the_api_answers_a_correction_with_its_offers_and_replaces_on_request(meeting, owner, lines):
    client = client_for(owner)
    response = client.patch(
        f"/api/v1/meetings/{meeting.id}/segments/{lines[0].id}/",
        {"text": "We moved the cluster to Kubelet nodes."},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["offers"] == [
        {"wrong": "cumulative", "right": "Kubelet", "in_glossary": False, "elsewhere": 2}
    ]
    response = client.post(
        f"/api/v1/meetings/{meeting.id}/transcript/replace/", {"wrong": "cumulative", "right": "Kubelet"}, format="json"
    )
    assert response.json() == {"replaced": 2}
    empty = client.post(f"/api/v1/meetings/{meeting.id}/transcript/replace/", {"wrong": " ", "right": "x"}, format="json")
    assert empty.status_code == 400


def test_viewers_and_other_workspaces_replace_nothing(meeting, member_of, outsider, lines):
    viewer = member_of(meeting.workspace, Role.VIEWER)
    body = {"wrong": "cumulative", "right": "Kubelet"}
    url = f"/api/v1/meetings/{meeting.id}/transcript/replace/"
    assert client_for(viewer).post(url, body, format="json").status_code == 403
    assert client_for(outsider).post(url, body, format="json").status_code == 404
    assert not meeting.segments.filter(text__contains="Kubelet").exists()
