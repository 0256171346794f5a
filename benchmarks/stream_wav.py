"""Stream a WAV file into a running Mina as a microphone would, and watch the transcript.

    .venv/bin/python benchmarks/stream_wav.py --email you@example.com --password ... \
        --meeting 1 tests/data/speech/standup.wav

Signs in with a JWT, opens the meeting socket (watcher) and the audio socket with the
`mina.v1` subprotocol, sends 100 ms PCM16 frames paced by the clock (`--speed 4` sends
four times faster), and prints partials and finals as they arrive on the watcher.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import urllib.request
import wave
from pathlib import Path

import websockets

FRAME_MS = 100


def read_pcm(path: Path) -> bytes:
    with wave.open(str(path), "rb") as wav:
        if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) != (16000, 1, 2):
            sys.exit(f"{path}: need 16 kHz mono 16-bit WAV (sox in.wav -r 16000 -c 1 -b 16 out.wav)")
        return wav.readframes(wav.getnframes())


def get_token(base: str, email: str, password: str) -> str:
    request = urllib.request.Request(
        f"{base}/api/v1/auth/token/",
        data=json.dumps({"email": email, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.load(response)["access"])


async def watch(ws: websockets.ClientConnection, started: float, done: asyncio.Event) -> None:
    async for raw in ws:
        event = json.loads(raw)
        at = time.monotonic() - started
        if event["type"] == "transcript.partial" and event["text"]:
            print(f"{at:6.2f}s  partial  [{event['speaker']}] {event['text']}")
        elif event["type"] == "transcript.final":
            print(f"{at:6.2f}s  FINAL    [{event['speaker']}] {event['start_ms'] / 1000:.1f}s: {event['text']}")
        elif event["type"] in ("meeting.status", "error"):
            print(f"{at:6.2f}s  {event['type']}: {event.get('status') or event.get('message')}")
        if done.is_set():
            return


async def stream(args: argparse.Namespace) -> None:
    token = get_token(args.url, args.email, args.password)
    ws_base = args.url.replace("http", "ws", 1)
    protocols = ["mina.v1", token]
    pcm = read_pcm(args.file)
    done = asyncio.Event()
    async with websockets.connect(f"{ws_base}/ws/meetings/{args.meeting}/", subprotocols=protocols) as watcher, \
            websockets.connect(f"{ws_base}/ws/meetings/{args.meeting}/audio/", subprotocols=protocols) as mic:
        await watcher.recv()  # the snapshot
        started = time.monotonic()
        watching = asyncio.create_task(watch(watcher, started, done))
        await mic.send(json.dumps({"type": "start", "sample_rate": 16000, "format": "pcm_s16le"}))
        print("ready:", await mic.recv())
        frame = 16000 * 2 * FRAME_MS // 1000
        for index, offset in enumerate(range(0, len(pcm), frame)):
            await mic.send(pcm[offset : offset + frame])
            delay = started + (index + 1) * FRAME_MS / 1000 / args.speed - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        await mic.send(json.dumps({"type": "stop"}))
        async for raw in mic:
            if json.loads(raw)["type"] == "stopped":
                break
        await asyncio.sleep(1.0)  # the last final's event may still be on its way
        done.set()
        watching.cancel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--meeting", type=int, required=True, help="id of a scheduled or live meeting")
    parser.add_argument("--speed", type=float, default=1.0, help="1 = real time")
    asyncio.run(stream(parser.parse_args()))


if __name__ == "__main__":
    main()
