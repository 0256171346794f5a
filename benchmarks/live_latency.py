"""Live latency, cadence, accuracy and cost of Mina's live transcription, end to end.

    python benchmarks/live_latency.py --start embedded --streams 8 --stagger 1 \
        tests/data/speech/standup.wav
    python benchmarks/live_latency.py --start scaled tests/data/real/jfk.wav --json
    python benchmarks/live_latency.py --url http://127.0.0.1:8000 --email you@example.com \
        --password ... --meeting 3 --server-pids 1234 tests/data/speech/standup.wav

Streams a 16 kHz mono WAV on `--streams` audio sockets of one meeting (one guest speaker
each, starts `--stagger` s apart), paced by the clock in 100 ms frames, and watches the
meeting socket. The WAV's reference (same name, `.json` turns and `.txt` text, or the
turns' text: any meeting of the corpus in .corpus-cache/ will do) gives:

- final latency: from the end of an utterance (the last reference turn a final covers)
  to the final's arrival at the watcher, median and p90;
- first partial: from the start of a turn to the first partial of it;
- longest gap: between consecutive updates (partials, then the final) of an utterance;
- WER (benchmarks/corpus/scoring.py) of the stream's finals against the reference text;
- kept up: every final within 3 s of its utterance's end, and `stopped` within 3 s of the
  last frame;
- cores: the server processes' CPU seconds (/proc/<pid>/stat) per audio second per
  stream, over the whole run (overall only: a process's CPU cannot be split by stream).

`--start embedded` runs `manage.py serve` on a fresh SQLite database; `--start scaled`
runs Daphne and a Celery worker (`-Q realtime,default --pool threads -c 2`) on a fresh
PostgreSQL database (`--postgres`) and a private redis-server. `--json` prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
import wave
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.corpus.scoring import wer  # noqa: E402

FRAME_MS = 100
FRAME_BYTES = 16000 * 2 * FRAME_MS // 1000
KEPT_UP_S = 3.0

# --- The audio and its reference ------------------------------------------------------------


@dataclass(frozen=True)
class Clip:
    name: str
    pcm: bytes
    turns: list[dict[str, Any]]
    reference: str

    @property
    def seconds(self) -> float:
        return len(self.pcm) / 32000


def load_clip(path: Path) -> Clip:
    with wave.open(str(path), "rb") as wav:
        if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) != (16000, 1, 2):
            sys.exit(f"{path}: need 16 kHz mono 16-bit WAV")
        pcm = wav.readframes(wav.getnframes())
    turns = json.loads(path.with_suffix(".json").read_text())["turns"]
    text = path.with_suffix(".txt")  # the corpus's meetings have their text in the turns
    return Clip(path.stem, pcm, turns, text.read_text() if text.exists() else " ".join(t["text"] for t in turns))


# --- Servers ------------------------------------------------------------------------------------


@dataclass
class Server:
    url: str
    env: dict[str, str]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        DEBUG="0", SECRET_KEY="benchmark", ALLOWED_HOSTS="127.0.0.1,localhost", SECURE_SSL_REDIRECT="0",
        LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def _spawn(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _wait_up(url: str, processes: list[subprocess.Popen[bytes]], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            sys.exit("a server process exited; see its log")
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/health/", timeout=1):  # noqa: S310
            return
        time.sleep(0.3)
    sys.exit("the server did not start in time")


@contextlib.contextmanager
def started(kind: str, postgres: str) -> Iterator[Server]:
    """A fresh server of `kind`; every process stopped by its id, its data removed."""
    folder = Path(tempfile.mkdtemp(prefix=f"mina-live-{kind}-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = Server(url, _env(MEDIA_ROOT=str(folder / "media")))
    database = ""
    try:
        if kind == "embedded":
            server.env["DATABASE_URL"] = f"sqlite:///{folder / 'db.sqlite3'}"
            _manage(server.env, "migrate", "--noinput")
            server.processes.append(
                _spawn([sys.executable, "manage.py", "serve", "--port", str(port)], server.env, folder / "serve.log")
            )
        else:
            redis_port = free_port()
            server.processes.append(
                _spawn(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", ""],
                       server.env, folder / "redis.log")
            )
            database = f"mina_live_{uuid.uuid4().hex[:8]}"
            _psql(postgres, f'CREATE DATABASE "{database}"')
            server.env.update(DATABASE_URL=f"{postgres}/{database}", REDIS_URL=f"redis://127.0.0.1:{redis_port}/0")
            _manage(server.env, "migrate", "--noinput")
            server.processes.append(_spawn(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "mina.asgi:application"],
                server.env, folder / "daphne.log",
            ))
            server.processes.append(_spawn(
                [sys.executable, "-m", "celery", "-A", "mina", "worker", "-Q", "realtime,default", "--pool",
                 "threads", "-c", "2", "-l", "WARNING"],
                server.env, folder / "worker.log",
            ))
        _wait_up(url, server.processes)
        yield server
    finally:
        for process in reversed(server.processes):
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if database:
            _psql(postgres, f'DROP DATABASE IF EXISTS "{database}"')
        shutil.rmtree(folder, ignore_errors=True)


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        sys.exit(f"manage.py {args[0]} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def _psql(postgres: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{postgres}/postgres", autocommit=True) as connection:
        connection.execute(sql)  # type: ignore[arg-type]


SETUP = """
from rest_framework_simplejwt.tokens import AccessToken
from accounts.models import User
from meetings.models import Meeting
from workspaces.models import Membership, Workspace
user = User.objects.filter(email="bench@example.com").first() or User.objects.create_user("bench@example.com")
workspace, _ = Workspace.objects.get_or_create(slug="bench", defaults={"name": "Benchmarks"})
Membership.objects.get_or_create(workspace=workspace, user=user, defaults={"role": "owner"})
meeting = Meeting.objects.create(workspace=workspace, title="live latency", organizer=user)
print(meeting.id, AccessToken.for_user(user))
"""


STATS = """
import json
from transcription.models import Recording
keys = ("audio_ms", "processing_ms", "partials", "partials_skipped", "finals", "dropped", "settles",
        "settles_skipped", "settle_corrections", "final_latency_ms", "overloaded_ms")
rows = Recording.objects.filter(meeting_id={meeting}).order_by("id").values_list("stats", flat=True)
print(json.dumps([{{k: s.get(k) for k in keys}} for s in rows]))
"""


def recording_stats(env: dict[str, str], meeting: int) -> list[dict[str, Any]]:
    """What the server recorded about each stream (Recording.stats)."""
    return list(json.loads(_manage(env, "shell", "-c", STATS.format(meeting=meeting)).splitlines()[-1]))


def make_meeting(env: dict[str, str]) -> tuple[int, str]:
    meeting, token = _manage(env, "shell", "-c", SETUP).split()[-2:]
    return int(meeting), token


def get_token(url: str, email: str, password: str) -> str:
    request = urllib.request.Request(
        f"{url}/api/v1/auth/token/",
        data=json.dumps({"email": email, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return str(json.load(response)["access"])


async def warm_up(url: str, meeting: int, token: str) -> None:
    """An audio socket that opens and closes: the server loads its model (as it does
    for a meeting's first microphone) before the clock starts."""
    address = f"{url.replace('http', 'ws', 1)}/ws/meetings/{meeting}/audio/"
    async with websockets.connect(address, subprotocols=["mina.v1", token]):  # type: ignore[list-item]
        await asyncio.sleep(0.5)


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of every thread of the processes (and of their reaped children)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return total / ticks


# --- Streaming ----------------------------------------------------------------------------------


@dataclass
class Stream:
    index: int
    participant: int = 0
    offset_ms: int = 0
    t0: float = 0.0  # when audio position 0 was sent
    stopped_after_s: float = 0.0  # from the last frame to `stopped`
    events: list[tuple[float, dict[str, Any]]] = field(default_factory=list)


async def stream_audio(ws_base: str, meeting: int, token: str, clip: Clip, stream: Stream, delay: float) -> None:
    await asyncio.sleep(delay)
    url = f"{ws_base}/ws/meetings/{meeting}/audio/"
    async with websockets.connect(url, subprotocols=["mina.v1", token], max_size=None) as mic:  # type: ignore[list-item]
        await mic.send(json.dumps(
            {"type": "start", "sample_rate": 16000, "format": "pcm_s16le", "speaker": f"Speaker {stream.index + 1}"}
        ))
        ready = json.loads(await mic.recv())
        stream.participant, stream.offset_ms = ready["participant"], ready.get("offset_ms", 0)
        stream.t0 = time.monotonic()
        for index, offset in enumerate(range(0, len(clip.pcm), FRAME_BYTES)):
            await mic.send(clip.pcm[offset : offset + FRAME_BYTES])
            pause = stream.t0 + (index + 1) * FRAME_MS / 1000 - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
        last_frame = time.monotonic()
        await mic.send(json.dumps({"type": "stop"}))
        async for raw in mic:
            if isinstance(raw, str) and json.loads(raw)["type"] == "stopped":
                break
        stream.stopped_after_s = time.monotonic() - last_frame


async def watch(ws_base: str, meeting: int, token: str, streams: list[Stream], done: asyncio.Event) -> list[str]:
    """Collect every event for the streams; returns the overload states seen."""
    loads: list[str] = []
    async with websockets.connect(f"{ws_base}/ws/meetings/{meeting}/", subprotocols=["mina.v1", token]) as ws:  # type: ignore[list-item]
        await ws.recv()  # the snapshot
        while not done.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            at, event = time.monotonic(), json.loads(raw)
            if event["type"] == "meeting.status" and "load" in event:
                loads.append(event["load"])
            for stream in streams:
                if event.get("participant") == stream.participant and stream.participant:
                    stream.events.append((at, event))
    return loads


async def run(url: str, meeting: int, token: str, clip: Clip, count: int, stagger: float) -> tuple[list[Stream], list[str]]:
    ws_base = url.replace("http", "ws", 1)
    streams = [Stream(i) for i in range(count)]
    done = asyncio.Event()
    watcher = asyncio.create_task(watch(ws_base, meeting, token, streams, done))
    await asyncio.sleep(1.0)  # the watcher is in before the first word
    await asyncio.gather(*(stream_audio(ws_base, meeting, token, clip, s, s.index * stagger) for s in streams))
    await asyncio.sleep(1.5)  # the last events are on their way
    done.set()
    return streams, await watcher


# --- Measures -----------------------------------------------------------------------------------


def _pct(values: list[float], percent: int) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, -(-percent * len(ordered) // 100) - 1)]


def measure(stream: Stream, clip: Clip) -> dict[str, Any]:
    finals = [(at, e) for at, e in stream.events if e["type"] == "transcript.final"]
    partials = [(at, e) for at, e in stream.events if e["type"] == "transcript.partial" and e["text"]]
    latencies = _final_latencies(stream, clip, finals)
    firsts = _first_partials(stream, clip, partials)
    gaps = _gaps(partials, finals)
    text = " ".join(e["text"] for _, e in sorted(finals, key=lambda f: f[1]["start_ms"]))
    return {
        "stream": stream.index + 1,
        "finals": len(finals),
        "partials": len(partials),
        "final_latency_median_s": _round(statistics.median(latencies) if latencies else None),
        "final_latency_p90_s": _round(_pct(latencies, 90)),
        "final_latencies_s": [round(v, 3) for v in latencies],
        "first_partial_median_s": _round(statistics.median(firsts) if firsts else None),
        "first_partial_max_s": _round(max(firsts) if firsts else None),
        "turns_without_partial": len(clip.turns) - len(firsts),
        "longest_gap_s": _round(max(gaps) if gaps else None),
        "wer": round(wer([clip.reference], [text]), 4),
        "kept_up": bool(latencies) and max(latencies) <= KEPT_UP_S and stream.stopped_after_s <= KEPT_UP_S,
        "stopped_after_s": round(stream.stopped_after_s, 3),
        "text": text,
    }


def _final_latencies(stream: Stream, clip: Clip, finals: list[tuple[float, dict[str, Any]]]) -> list[float]:
    """Each reference turn goes to the final whose end is nearest to the turn's end; a final
    is late by its arrival minus the end of the last turn it covers."""
    spans = [(e["start_ms"] - stream.offset_ms, e["end_ms"] - stream.offset_ms, at) for at, e in finals]
    ends: dict[int, int] = {}
    for turn in clip.turns:
        candidates = [i for i, (start, _, _) in enumerate(spans) if start < turn["end_ms"]]
        if candidates:
            best = min(candidates, key=lambda i: abs(spans[i][1] - turn["end_ms"]))
            ends[best] = max(ends.get(best, 0), turn["end_ms"])
    return [spans[i][2] - (stream.t0 + end / 1000) for i, end in sorted(ends.items())]


def _first_partials(stream: Stream, clip: Clip, partials: list[tuple[float, dict[str, Any]]]) -> list[float]:
    """Per turn, the first partial of an utterance starting near it (or within it)."""
    firsts = []
    for turn in clip.turns:
        arrivals = [
            at for at, e in partials
            if turn["start_ms"] - 700 <= e["start_ms"] - stream.offset_ms < turn["end_ms"]
        ]
        if arrivals:
            firsts.append(min(arrivals) - (stream.t0 + turn["start_ms"] / 1000))
    return firsts


def _gaps(partials: list[tuple[float, dict[str, Any]]], finals: list[tuple[float, dict[str, Any]]]) -> list[float]:
    updates: dict[str, list[float]] = {}
    for at, event in [*partials, *finals]:
        updates.setdefault(event["utterance_id"], []).append(at)
    gaps = []
    for times in updates.values():
        times.sort()
        gaps += [b - a for a, b in zip(times, times[1:], strict=False)]
    return gaps


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def overall(rows: list[dict[str, Any]], clip: Clip, cores: float | None) -> dict[str, Any]:
    latencies = [v for r in rows for v in r["final_latencies_s"]]
    texts = [r["text"] for r in rows]
    firsts = [r["first_partial_median_s"] for r in rows if r["first_partial_median_s"] is not None]
    return {
        "stream": "all",
        "finals": sum(r["finals"] for r in rows),
        "partials": sum(r["partials"] for r in rows),
        "final_latency_median_s": _round(statistics.median(latencies) if latencies else None),
        "final_latency_p90_s": _round(_pct(latencies, 90)),
        "first_partial_median_s": _round(statistics.median(firsts) if firsts else None),
        "first_partial_max_s": max((r["first_partial_max_s"] or 0 for r in rows), default=None),
        "turns_without_partial": sum(r["turns_without_partial"] for r in rows),
        "longest_gap_s": max((r["longest_gap_s"] or 0 for r in rows), default=None),
        "wer": round(wer([clip.reference] * len(texts), texts), 4),
        "kept_up": all(r["kept_up"] for r in rows),
        "cores_per_stream": None if cores is None else round(cores, 3),
    }


COLUMNS = [
    ("stream", "stream", "{}"), ("final_latency_median_s", "final p50", "{:.2f}"),
    ("final_latency_p90_s", "final p90", "{:.2f}"), ("first_partial_median_s", "1st partial", "{:.2f}"),
    ("first_partial_max_s", "1st max", "{:.2f}"), ("longest_gap_s", "max gap", "{:.2f}"),
    ("wer", "WER", "{:.1%}"), ("kept_up", "kept up", "{}"), ("cores_per_stream", "cores/stream", "{:.3f}"),
]


def table(rows: list[dict[str, Any]]) -> str:
    lines = [" ".join(f"{title:>12}" for _, title, _ in COLUMNS)]
    for row in rows:
        cells = [(fmt.format(row[key]) if row.get(key) is not None else "-") for key, _, fmt in COLUMNS]
        lines.append(" ".join(f"{c:>12}" for c in cells))
    return "\n".join(lines)


# --- Main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wav", type=Path)
    parser.add_argument("--streams", type=int, default=1)
    parser.add_argument("--stagger", type=float, default=1.0, help="seconds between stream starts")
    parser.add_argument("--start", choices=["embedded", "scaled"], help="start a fresh server of this kind")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="for --start scaled")
    parser.add_argument("--settle", type=float, default=8.0, help="seconds for a started server to load the model")
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--email")
    parser.add_argument("--password")
    parser.add_argument("--meeting", type=int)
    parser.add_argument("--server-pids", default="", help="comma-separated pids whose CPU counts (running server)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--timeline", action="store_true", help="also print every stream's events in time")
    args = parser.parse_args()
    clip = load_clip(args.wav)
    if args.start:
        with started(args.start, args.postgres) as server:
            meeting, token = make_meeting(server.env)
            asyncio.run(warm_up(server.url, meeting, token))
            time.sleep(args.settle)
            result = measure_run(server.url, meeting, token, clip, args, server.pids)
            result["recording_stats"] = recording_stats(server.env, meeting)
    else:
        if not (args.meeting and args.email and args.password):
            sys.exit("a running server needs --meeting, --email and --password (or use --start)")
        token = get_token(args.url, args.email, args.password)
        pids = [int(p) for p in args.server_pids.split(",") if p]
        result = measure_run(args.url, args.meeting, token, clip, args, pids)
    print(json.dumps(result, indent=2) if args.json else report(result))
    if args.timeline:
        print(timeline(result))


def measure_run(url: str, meeting: int, token: str, clip: Clip, args: argparse.Namespace, pids: list[int]) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    cpu_before = cpu_seconds(pids)
    streams, loads = asyncio.run(run(url, meeting, token, clip, args.streams, args.stagger))
    cpu = cpu_seconds(pids) - cpu_before
    rows = [measure(s, clip) for s in streams]
    for row, stream in zip(rows, streams, strict=True):
        row["events"] = [
            [round(at - stream.t0, 3), e["type"].split(".")[-1], e["utterance_id"], e["start_ms"] - stream.offset_ms,
             e["end_ms"] - stream.offset_ms, e["text"]]
            for at, e in stream.events if e["type"].startswith("transcript.")
        ]
    cores = cpu / (clip.seconds * len(streams)) if pids else None
    return {
        "wav": clip.name, "streams": args.streams, "stagger_s": args.stagger, "mode": args.start or url,
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "server_cpu_s": round(cpu, 2) if pids else None, "overload_events": loads,
        "per_stream": rows, "overall": overall(rows, clip, cores),
    }


def timeline(result: dict[str, Any]) -> str:
    lines = []
    for row in result["per_stream"]:
        lines.append(f"-- stream {row['stream']} (seconds from its first frame; audio span in ms)")
        for at, kind, utterance, start, end, text in row["events"]:
            lines.append(f"{at:7.2f}  {kind:<7} {utterance} {start:>6}-{end:<6} {text}")
    return "\n".join(lines)


def report(result: dict[str, Any]) -> str:
    head = (
        f"{result['wav']}: {result['streams']} stream(s), stagger {result['stagger_s']:g} s, {result['mode']}; "
        f"load average {result['load_average'][0]} -> {result['load_average'][1]}; "
        f"server CPU {result['server_cpu_s']} s; load events {result['overload_events'] or 'none'}"
    )
    lines = [head, table([*result["per_stream"], result["overall"]])]
    for index, stats in enumerate(result.get("recording_stats", []), 1):
        lines.append(f"server stats, stream {index}: {json.dumps(stats)}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
