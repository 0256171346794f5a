"""What a deployment must do for its users, checked through its public HTTPS address."""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass

from tests.conftest import SPEECH
from tests.deploy.clients import App, Browser, Client, events_until
from tests.deploy.stack import EMAIL, PASSWORD
from tests.faults.processes import wait_for
from tests.streaming import frames, read_pcm

STATIC_LINK = r'(?:src|href)="(/static/[^"]+)"'
WORD = "budget"  # tests/data/speech/short.txt: "The quarterly budget review starts at nine."


@dataclass(frozen=True)
class Recorded:
    meeting_id: int
    recording_id: int
    transcript: str
    audio: bytes
    audio_url: str


def check_a_deployment(base: str, context: ssl.SSLContext) -> Recorded:
    browser = Browser(base, context)
    check_static_files(browser)
    signed_in = browser.sign_in(EMAIL, PASSWORD)
    assert signed_in.status == 302, f"sign-in: {signed_in.status} {signed_in.text[:500]}"
    app = App(base, context)
    app.sign_in(EMAIL, PASSWORD)
    return record_a_meeting(browser, app)


def check_static_files(browser: Browser) -> None:
    """The page links its script by its hashed name (collectstatic's manifest), served for a year."""
    page = browser.get("/accounts/sign-in/").text
    script = re.search(r'src="(/static/js/mina\.[0-9a-f]{12}\.js)"', page)
    assert script, f"the page does not link a hashed static file: {re.findall(STATIC_LINK, page)}"
    response = browser.get(script.group(1))
    assert response.status == 200 and b"Mina" in response.body
    assert "immutable" in response.headers["Cache-Control"]


def record_a_meeting(browser: Browser, app: App) -> Recorded:
    """A short live meeting: the page watches (cookie), the app speaks (token), over wss://."""
    workspace = app.call("GET", "/api/v1/workspaces/")["results"][0]["id"]
    meeting = app.call("POST", "/api/v1/meetings/", {"workspace": workspace, "title": "Deploy check"}, expect=201)
    with browser.socket(f"/ws/meetings/{meeting['id']}/") as watcher:
        assert events_until(watcher, lambda e: True, timeout=10)[0]["type"] == "snapshot"
        stream(app, meeting["id"])
        events_until(watcher, lambda e: e["type"] == "transcript.final", timeout=60)
        app.call("POST", f"/api/v1/meetings/{meeting['id']}/end/")
        events_until(watcher, lambda e: e["type"] == "meeting.status" and e["status"] == "ready", timeout=120)
    segments = app.call("GET", f"/api/v1/meetings/{meeting['id']}/segments/")["results"]
    transcript = " ".join(s["text"] for s in segments)
    assert WORD in transcript.lower(), transcript
    recording = app.call("GET", f"/api/v1/meetings/{meeting['id']}/recordings/")["results"][0]
    url = recording["audio"]["url"]
    return Recorded(meeting["id"], recording["id"], transcript, play_when_compressed(url, app.context), url)


def stream(app: App, meeting_id: int) -> None:
    """tests/data/speech/short.wav in 100 ms frames, as the browser's recorder sends them."""
    with app.socket(f"/ws/meetings/{meeting_id}/audio/") as audio:
        assert audio.subprotocol == "mina.v1"
        audio.send('{"type": "start", "sample_rate": 16000, "format": "pcm_s16le"}')
        assert events_until(audio, lambda e: True, timeout=15)[0]["type"] == "ready"
        for frame in frames(read_pcm(SPEECH / "short.wav")):
            audio.send(frame)
        audio.send('{"type": "stop"}')
        events_until(audio, lambda e: e["type"] == "stopped", timeout=60)


def play_when_compressed(url: str, context: ssl.SSLContext) -> bytes:
    """The job's last step swaps the live WAV for a compressed copy, after `ready`: once it
    is done no job runs, and what is played (and backed up) stays the same."""
    player = Client("", context)
    wait_for(lambda: player.get(url, Range="bytes=0-3").body == b"OggS", 60, "the compressed copy")
    return play(url, context)


def play(url: str, context: ssl.SSLContext) -> bytes:
    """The recording's signed link, as a player fetches it: no cookie, no header, ranges."""
    player = Client("", context)
    whole, start = player.get(url), player.get(url, Range="bytes=0-99")
    assert whole.status == 200 and whole.headers["Content-Type"].startswith("audio/"), whole.status
    assert start.status == 206 and start.body == whole.body[:100]
    return whole.body
