"""Ask Mina with the OpenAI-compatible engine: a written answer that cites the passages it
used, says when they do not answer, and never needs the model to be up. The model is a
local HTTP server that speaks the chat completions API (reading the numbered passages it
is sent, as a model would); everything else is real: the index, the retrieval, the client."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.api.helpers import client_for
from tests.factories import MembershipFactory, WorkspaceFactory
from workspaces.models import Role

from .conftest import PRICING, make_meeting

URL = "/api/v1/ask/"


class ChatServer:
    """Answers each chat completion with `reply(question, passages)`, a dict or a status code."""

    def __init__(self, reply: Any) -> None:
        self.reply = reply
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                prompt = body["messages"][-1]["content"]
                question = prompt.split("\n", 1)[0].removeprefix("Question: ")
                passages = dict(re.findall(r"^\[(\d+)\] (.*)$", prompt, re.MULTILINE))
                answer = server.reply(question, passages)
                if isinstance(answer, int):
                    self.send_response(answer)
                    self.end_headers()
                    return
                content = json.dumps(answer)
                data = json.dumps({
                    "id": "c1", "object": "chat.completion", "created": 0, "model": body["model"],
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": content}}],
                }).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def cite_the_line_about(words: str) -> Any:
    """A model that answers from the passage holding `words`, or says it does not know."""

    def reply(question: str, passages: dict[str, str]) -> dict[str, Any]:
        for n, text in passages.items():
            if words in text:
                return {"answer": f"Carol is writing it, by Friday [{n}].", "known": True, "citations": [int(n)]}
        return {"answer": "The meetings do not say.", "known": False, "citations": []}

    return reply


@pytest.fixture
def chat(settings: Any) -> Any:
    servers: list[ChatServer] = []

    def start(reply: Any) -> ChatServer:
        server = ChatServer(reply)
        servers.append(server)
        settings.MINA_SUMMARY_ENGINE = "openai"
        settings.OPENAI_BASE_URL, settings.OPENAI_API_KEY = server.url, ""
        settings.OPENAI_MAX_RETRIES, settings.OPENAI_TIMEOUT = 0, 5
        return server

    yield start
    for server in servers:
        server.close()


def ask(user: Any, question: str) -> dict[str, Any]:
    response = client_for(user).post(URL, {"question": question}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_answer_is_written_and_cites_the_line_that_says_it(owner: Any, indexed: Any, chat: Any) -> None:
    server = chat(cite_the_line_about("survey report"))

    data = ask(owner, "Who is writing the survey report?")

    written = data["written"]
    assert written["known"] is True
    assert re.fullmatch(r"Carol is writing it, by Friday \[\d\]\.", written["text"])
    [citation] = written["citations"]
    cited = data["passages"][citation["n"] - 1]
    assert cited["text"] == "I will write the survey report by Friday."
    assert citation["segment"] == cited["segment"] and citation["url"] == cited["url"]
    assert f'<a class="cite" href="{cited["url"]}">[{citation["n"]}]</a>' in written["html"]
    # The model was asked with the question and the passages, each with its speaker and meeting.
    prompt = server.requests[0]["messages"][-1]["content"]
    assert prompt.startswith("Question: Who is writing the survey report?")
    assert "Carol in “Weekly product meeting”" in prompt
    assert server.requests[0]["response_format"]["json_schema"]["name"] == "meeting_answer"


def test_the_page_shows_the_written_answer_with_links_to_the_moments(
    owner: Any, indexed: Any, chat: Any, client: Any
) -> None:
    chat(cite_the_line_about("survey report"))
    client.force_login(owner)

    page = client.get(f"/w/{indexed[0].workspace_id}/ask/", {"q": "Who is writing the survey report?"})

    html = page.content.decode()
    assert 'id="ask-written"' in html and "Carol is writing it, by Friday" in html
    assert re.search(rf'<a class="cite" href="/meetings/{indexed[0].id}/\?t=25#segment-\d+">\[\d\]</a>', html)


def test_when_the_passages_do_not_answer_it_says_so(owner: Any, indexed: Any, chat: Any) -> None:
    chat(cite_the_line_about("nothing anybody said"))

    written = ask(owner, "What did we decide about the office move?")["written"]

    assert written == {"text": "The meetings do not say.", "html": "The meetings do not say.", "known": False,
                       "citations": []}


def test_the_model_only_ever_reads_the_askers_workspaces(owner: Any, indexed: Any, chat: Any) -> None:
    server = chat(cite_the_line_about("survey report"))
    elsewhere = WorkspaceFactory()
    stranger = MembershipFactory(workspace=elsewhere, role=Role.OWNER).user
    secret = make_meeting(elsewhere, stranger, "Secret pricing", PRICING)
    from ask import services

    services.meeting_index(meeting_id=secret.id)

    ask(owner, "What is the new price of the annual plan?")

    prompt = server.requests[0]["messages"][-1]["content"]
    assert "Secret pricing" not in prompt and "Pricing review" in prompt


@pytest.mark.parametrize("trouble", [500, "a citation of a passage that does not exist"])
def test_a_model_that_fails_leaves_the_passages_as_the_answer(owner: Any, indexed: Any, chat: Any, trouble: Any) -> None:
    def reply(question: str, passages: dict[str, str]) -> Any:
        if trouble == 500:
            return 500
        return {"answer": "It is in [99].", "known": True, "citations": [99]}

    chat(reply)

    data = ask(owner, "Who is writing the survey report?")

    assert data["written"] is None
    assert data["passages"][0]["text"] == "I will write the survey report by Friday."
    assert "The written answer is unavailable right now" in data["message"]


def test_offline_there_is_no_written_answer(owner: Any, indexed: Any) -> None:
    data = ask(owner, "Who is writing the survey report?")
    assert data["written"] is None and data["passages"]
