"""Random input at the sockets and the audio validator: no server error, nothing corrupt."""

import asyncio
import json
import tempfile

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.sockets import access_token, connect
from transcription import audio

FUZZ = hsettings(
    derandomize=True, max_examples=25, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=10,
)
start_like = st.fixed_dictionaries(
    {"type": st.sampled_from(["start", "stop", "sync", "auth", "dance"])},
    optional={
        "sample_rate": st.one_of(st.just(16000), st.integers()),
        "format": st.one_of(st.just("pcm_s16le"), st.text(max_size=10)),
        "stream_id": st.one_of(st.text(max_size=40), st.uuids().map(str), st.integers()),
        "speaker": json_values,
        "after": json_values,
    },
)
messages = st.lists(
    st.one_of(
        start_like.map(lambda m: ("text", json.dumps(m))),
        json_values.map(lambda v: ("text", json.dumps(v))),
        st.text(max_size=50).map(lambda t: ("text", t)),
        st.binary(max_size=4000).map(lambda b: ("bytes", b)),
    ),
    max_size=8,
)


async def _throw(path, token, sequence):
    ws, connected, _ = await connect(path, token=token, origin=None)
    assert connected
    try:
        for kind, payload in sequence:
            # send_input, not send_to: an empty frame is a valid (if odd) thing to receive.
            await ws.send_input({"type": "websocket.receive", kind: payload})
        # Read whatever came back; every message is JSON with a type, every close 1000 or 44xx.
        while not await ws.receive_nothing(timeout=0.2):
            output = await ws.receive_output(timeout=1)
            if output["type"] == "websocket.close":
                assert output.get("code", 1000) in (1000, 4400, 4401, 4403, 4404, 4408, 4409, 4429)
                break
            assert "type" in json.loads(output["text"])
    finally:
        await ws.disconnect()  # raises if the application crashed


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("socket", ["", "audio/"])
def test_random_messages_never_crash_a_socket(meeting, owner, socket):
    token = access_token(owner)

    @FUZZ
    @given(sequence=messages)
    def run(sequence):
        asyncio.run(_throw(f"/ws/meetings/{meeting.id}/{socket}", token, sequence))

    run()
    from transcription.models import Recording, Segment

    for recording in Recording.objects.all():
        assert recording.meeting_id == meeting.id
    assert all(s.text for s in Segment.objects.all())


@FUZZ
@given(data=st.binary(max_size=5000), header=st.sampled_from([b"", b"RIFF", b"RIFF\x24\x00\x00\x00WAVEfmt ", b"OggS", b"ID3", b"fLaC"]))
def test_random_bytes_are_refused_cleanly_by_the_validator(data, header):
    with tempfile.NamedTemporaryFile() as tmp:
        tmp.write(header + data)
        tmp.flush()
        try:
            audio.probe(tmp.name, max_minutes=240)
        except audio.AudioError as exc:
            assert exc.code in {"empty", "not_audio", "corrupt", "too_short", "too_long"}
            assert exc.message
