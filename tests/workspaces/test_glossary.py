"""A workspace's glossary: the words Whisper is told to expect, with members' names.

`jargon.wav` (tests/data/speech/README.md): without a glossary tiny.en hears "Priya",
"Kubelet" and "Grafana" as "Pre-ev", "cumulative" and "the graph on the".
"""

from __future__ import annotations

import asyncio

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import AuditEvent
from meetings.models import Meeting
from tests.api.helpers import client_for
from tests.conftest import SPEECH
from tests.factories import MeetingFactory, MembershipFactory, UserFactory
from tests.streaming import decode, record
from transcription import selectors as transcript_selectors
from transcription.engines.speech_local import LocalSpeechEngine
from transcription.services import upload_create
from workspaces.models import GlossaryTerm, Role
from workspaces.selectors import GLOSSARY_MAX_CHARS, PROMPT_MAX_CHARS, glossary_prompt, prompt_of

JARGON = ["Zephyrix", "Kubelet", "Grafana"]
# What the glossary makes Whisper spell: all three in the careful pass; live (greedy, on
# each utterance alone) "Kubelet" still comes out "Q-melit".
EXPECTED = ["Priya", "Kubelet", "Grafana"]
EXPECTED_LIVE = ["Priya", "Grafana"]


def _glossary(workspace, *terms):
    for term in terms:
        GlossaryTerm.objects.create(workspace=workspace, term=term)


def _speakers(workspace):
    for name in ("Priya", "Oksana"):
        MembershipFactory(workspace=workspace, role=Role.MEMBER, user=UserFactory(display_name=name))


# --- Managing it ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role,status", [(Role.VIEWER, 403), (Role.MEMBER, 201), (Role.ADMIN, 201)])
def test_members_add_terms_over_the_api(workspace, member_of, role, status):
    response = client_for(member_of(workspace, role)).post(
        f"/api/v1/workspaces/{workspace.id}/glossary/", {"term": "  Kubelet "}, format="json"
    )
    assert response.status_code == status, response.content
    assert GlossaryTerm.objects.filter(workspace=workspace, term="Kubelet").exists() == (status == 201)


@pytest.mark.django_db
def test_a_term_twice_is_a_409_and_an_empty_one_a_400(workspace, owner):
    client = client_for(owner)
    url = f"/api/v1/workspaces/{workspace.id}/glossary/"
    assert client.post(url, {"term": "Grafana"}, format="json").status_code == 201
    assert client.post(url, {"term": "grafana"}, format="json").status_code == 409
    assert client.post(url, {"term": "  "}, format="json").status_code == 400
    assert client.post(url, {"term": "!!!"}, format="json").status_code == 400
    assert [t["term"] for t in client.get(url).json()["results"]] == ["Grafana"]


@pytest.mark.django_db
def test_a_glossary_too_long_for_whispers_prompt_is_refused_with_the_limit(workspace, owner):
    client = client_for(owner)
    url = f"/api/v1/workspaces/{workspace.id}/glossary/"
    added = 0
    while True:
        response = client.post(url, {"term": f"Term{added:03d} Alpha Beta"}, format="json")
        if response.status_code != 201:
            break
        added += 1
    assert response.status_code == 400
    assert f"{GLOSSARY_MAX_CHARS} characters" in response.content.decode()
    assert 20 < added < 40
    assert len(glossary_prompt(workspace=workspace)) <= PROMPT_MAX_CHARS


@pytest.mark.django_db
def test_only_admins_remove_terms_and_no_one_outside_sees_them(workspace, owner, member_of, outsider):
    _glossary(workspace, "Kubelet")
    term = GlossaryTerm.objects.get()
    url = f"/api/v1/workspaces/{workspace.id}/glossary/{term.id}/"
    assert client_for(member_of(workspace, Role.MEMBER)).delete(url).status_code == 403
    assert client_for(outsider).get(f"/api/v1/workspaces/{workspace.id}/glossary/").status_code == 404
    assert client_for(outsider).delete(url).status_code == 404
    assert client_for(owner).delete(url).status_code == 204
    assert not GlossaryTerm.objects.exists()
    assert AuditEvent.objects.filter(action="glossary_term_removed").exists()


@pytest.mark.django_db
def test_the_glossary_page_adds_and_removes_terms(workspace, owner, member_of, client):
    member = member_of(workspace, Role.MEMBER, display_name="Priya")
    client.force_login(member)
    response = client.post(f"/w/{workspace.id}/glossary/", {"term": "Grafana"})
    assert response.status_code == 302
    page = client.get(f"/w/{workspace.id}/glossary/").content.decode()
    assert "Grafana" in page and f"Priya and {owner.name} talked about Grafana." in page
    assert "Remove" not in page  # a member adds; removing is for admins
    term = GlossaryTerm.objects.get()
    assert client.post(f"/w/{workspace.id}/glossary/{term.id}/remove/").status_code == 403
    client.force_login(owner)
    assert client.post(f"/w/{workspace.id}/glossary/{term.id}/remove/").status_code == 302
    assert not GlossaryTerm.objects.exists()


@pytest.mark.django_db
def test_the_prompt_is_one_sentence_of_the_members_and_the_terms(workspace, owner):
    _glossary(workspace, *JARGON)
    _speakers(workspace)
    prompt = glossary_prompt(workspace=workspace)
    assert prompt == f"Oksana, Priya and {owner.name} talked about Grafana, Kubelet and Zephyrix."


# --- Hearing with it ------------------------------------------------------------------------


def test_the_engine_spells_glossary_words_live_and_careful():
    engine = LocalSpeechEngine(cpu_threads=2, num_workers=1)
    jargon = decode(SPEECH / "jargon.wav")
    prompt = prompt_of(["Grafana", "Kubelet", "Zephyrix"], ["Oksana", "Priya"])  # as Mina words it
    without = " ".join(s.text for s in engine.transcribe_file(jargon)) + engine.transcribe_utterance(jargon).text
    careful = " ".join(s.text for s in engine.transcribe_file(jargon, prompt=prompt))
    live = engine.transcribe_utterance(jargon, prompt=prompt)
    assert live is not None
    for word in EXPECTED:
        assert word not in without, "the fixture still needs the glossary"
        assert word in careful
    for word in EXPECTED_LIVE:
        assert word in live.text
    assert careful.count("Kubelet") == 1, "the glossary is not read out as text"


@pytest.mark.django_db(transaction=True)
def test_an_upload_and_a_live_meeting_are_heard_with_the_workspaces_glossary(workspace, owner):
    _glossary(workspace, *JARGON)
    _speakers(workspace)
    uploaded = MeetingFactory(workspace=workspace, organizer=owner)
    upload_create(
        meeting=uploaded, membership=owner.memberships.get(),
        upload=SimpleUploadedFile("jargon.wav", (SPEECH / "jargon.wav").read_bytes()),
    )
    uploaded.refresh_from_db()
    assert uploaded.status == Meeting.Status.READY, uploaded.error
    careful = " ".join(s.text for s in transcript_selectors.segment_list(meeting=uploaded))

    live_meeting = MeetingFactory(workspace=workspace, organizer=owner)
    asyncio.run(record(live_meeting, owner, SPEECH / "jargon.wav"))
    live = " ".join(s.text for s in transcript_selectors.segment_list(meeting=live_meeting))
    for word in EXPECTED:
        assert word in careful, careful
    for word in EXPECTED_LIVE:
        assert word in live, live

