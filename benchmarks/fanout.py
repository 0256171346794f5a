"""Fan-out: one meeting, N watchers on two Daphne processes sharing Redis, one live source.

    .venv/bin/python benchmarks/fanout.py [--watchers 1000] [--clients 2] [--database mina_bench]

Starts a private Redis, two Daphne processes and a Celery worker (live transcription on
the `realtime` queue) on the benchmark database, makes N watcher accounts in a `fanout`
workspace, connects them to one meeting's socket (alternating between the two servers,
from `--clients` client processes of asyncio + websockets), then streams `standup.wav`
into the meeting's audio socket at real time. Every watcher must receive every
`transcript.final` (they connect first, `--ramp` a second); delivery time is the watcher's receipt minus the final's
`created_at` (the row is saved just before the event is published; one clock, one
machine). Then a connect storm: `--storm` handshakes spread evenly over `--storm-seconds`
(a handshake succeeds when the socket opens and its snapshot arrives). A final not
received within 30 s of the stream's end counts as missing.
Targets (docs: DESIGN.md): p99 < 250 ms and none missing; >= 99.9 % of the storm succeeds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from _cluster import (
    DATA,
    Cluster,
    cpu_seconds,
    load_average,
    percentile,
    raise_open_files,
    setup_django,
    summary_ms,
)
from stream_wav import read_pcm

FRAME_BYTES = 3200  # 100 ms of 16 kHz mono PCM16


# --- Client processes (no Django here) ----------------------------------------------


async def _watch(url: str, token: str, received: dict[int, float], state: dict[str, Any]) -> None:
    import websockets

    try:
        async with websockets.connect(url, subprotocols=["mina.v1", token], open_timeout=60,
                                      ping_interval=None, max_queue=None) as ws:
            first = json.loads(await ws.recv())
            if first.get("type") != "snapshot":
                state["refused"] += 1
                return
            state["connected"] += 1
            while not state["stop"]:
                try:
                    raw = await asyncio.wait_for(ws.recv(), timeout=0.5)
                except TimeoutError:
                    continue
                at = time.time()
                state["events"] += 1
                if '"transcript.final"' in raw:
                    received.setdefault(json.loads(raw)["id"], at)
                elif '"snapshot"' in raw:  # a resync: finals the layer dropped, late
                    for segment in json.loads(raw)["segments"]:
                        received.setdefault(-segment["id"], at)
    except Exception as exc:  # a watcher lost is a result, not a crash
        state["errors"].append(type(exc).__name__)


async def _storm_one(url: str, token: str, delay: float, results: list[tuple[bool, float]]) -> None:
    import websockets

    await asyncio.sleep(delay)
    started = time.perf_counter()
    try:
        async with websockets.connect(url, subprotocols=["mina.v1", token], open_timeout=30,
                                      ping_interval=None) as ws:
            first = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
            results.append((first.get("type") == "snapshot", time.perf_counter() - started))
    except Exception:
        results.append((False, time.perf_counter() - started))


async def _client(pipe: Connection, targets: list[tuple[str, str]], rate: float) -> None:
    state: dict[str, Any] = {"connected": 0, "refused": 0, "errors": [], "stop": False, "events": 0}
    received: list[dict[int, float]] = [{} for _ in targets]
    tasks = []
    started = time.monotonic()
    for index, (url, token) in enumerate(targets):  # the ramp: `rate` connections a second
        tasks.append(asyncio.ensure_future(_watch(url, token, received[index], state)))
        await asyncio.sleep(max(0.0, started + (index + 1) / rate - time.monotonic()))
    deadline = time.monotonic() + 120
    while state["connected"] + state["refused"] + len(state["errors"]) < len(targets) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    pipe.send(("connected", state["connected"], state["refused"], state["errors"][:5]))
    finals = await asyncio.get_running_loop().run_in_executor(None, pipe.recv)  # the finals' ids: wait for them
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(
            all(f in watcher or -f in watcher for f in finals) for watcher in received):
        await asyncio.sleep(0.2)
    state["stop"] = True
    await asyncio.wait(tasks, timeout=30)
    pipe.send(("received", received, len(state["errors"]), state["errors"][:5], state["events"]))
    storm = await asyncio.get_running_loop().run_in_executor(None, pipe.recv)  # (targets, seconds)
    results: list[tuple[bool, float]] = []
    storm_targets, seconds = storm
    step = seconds / max(1, len(storm_targets))
    await asyncio.gather(*(_storm_one(url, token, i * step, results) for i, (url, token) in enumerate(storm_targets)))
    pipe.send(("storm", results))


def client_main(pipe: Connection, targets: list[tuple[str, str]], rate: float) -> None:
    raise_open_files()
    asyncio.run(_client(pipe, targets, rate))


# --- The audio source ------------------------------------------------------------------


async def stream_audio(url: str, token: str, pcm: bytes, speed: float) -> dict[str, Any]:
    import websockets

    async with websockets.connect(url, subprotocols=["mina.v1", token], open_timeout=30) as mic:
        await mic.send(json.dumps({"type": "start", "sample_rate": 16000, "format": "pcm_s16le"}))
        ready = json.loads(await mic.recv())
        assert ready["type"] == "ready", ready
        started = time.monotonic()
        for index, offset in enumerate(range(0, len(pcm), FRAME_BYTES)):
            await mic.send(pcm[offset: offset + FRAME_BYTES])
            delay = started + (index + 1) * 0.1 / speed - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        await mic.send(json.dumps({"type": "stop"}))
        for _ in range(10_000):
            message = json.loads(await asyncio.wait_for(mic.recv(), timeout=120))
            if message["type"] == "stopped":
                return message
    raise RuntimeError("no `stopped`")


# --- Setup, with Django ----------------------------------------------------------------


def make_accounts(count: int) -> tuple[int, str, list[str]]:
    """(meeting id, the speaker's token, one token per watcher) in the `fanout` workspace."""
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User
    from meetings.models import Meeting
    from workspaces.models import Membership, Role, Workspace

    workspace, _ = Workspace.objects.get_or_create(slug="fanout", defaults={"name": "Fan-out"})
    emails = [f"fanout-watcher-{i}@example.com" for i in range(count)]
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    User.objects.bulk_create([User(email=e, display_name=e.split("@")[0], password="!") for e in emails
                              if e not in existing], batch_size=1000)
    speaker, _ = User.objects.get_or_create(email="fanout-speaker@example.com", defaults={"display_name": "Speaker"})
    users = list(User.objects.filter(email__in=emails).order_by("id"))
    members = set(Membership.objects.filter(workspace=workspace).values_list("user_id", flat=True))
    Membership.objects.bulk_create([Membership(workspace=workspace, user=u, role=Role.VIEWER)
                                    for u in users if u.id not in members], batch_size=1000)
    Membership.objects.get_or_create(workspace=workspace, user=speaker, defaults={"role": Role.MEMBER})
    meeting = Meeting.objects.create(workspace=workspace, title=f"Fan-out {time.strftime('%H:%M:%S')}",
                                     organizer=speaker)
    return meeting.id, str(AccessToken.for_user(speaker)), [str(AccessToken.for_user(u)) for u in users]


def finals_of(meeting_id: int) -> dict[int, float]:
    from transcription.models import Segment

    return {pk: created.timestamp() for pk, created in
            Segment.objects.filter(meeting_id=meeting_id, kind="final").values_list("id", "created_at")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="mina_bench")
    parser.add_argument("--watchers", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--audio", default=str(DATA / "speech" / "standup.wav"))
    parser.add_argument("--speed", type=float, default=1.0, help="1 = real time")
    parser.add_argument("--ramp", type=float, default=25, help="watchers connecting a second before the stream")
    parser.add_argument("--storm", type=int, default=1000)
    parser.add_argument("--storm-seconds", type=float, default=10.0)
    args = parser.parse_args()
    raise_open_files()
    setup_django(args.database, MINA_JWT_ACCESS_MINUTES="120")
    from django.db import connections

    meeting_id, speaker_token, tokens = make_accounts(args.watchers)
    connections.close_all()
    pcm = read_pcm(Path(args.audio))
    print(f"load average before: {load_average()}", flush=True)
    with Cluster(args.database, web=2, worker=True) as cluster:
        ws = [u.replace("http", "ws", 1) + f"/ws/meetings/{meeting_id}/" for u in cluster.urls]
        targets = [(ws[i % 2], token) for i, token in enumerate(tokens)]
        pipes, processes = [], []
        for index in range(args.clients):
            parent, child = mp.Pipe()
            process = mp.Process(target=client_main, args=(child, targets[index:: args.clients],
                                                           args.ramp / args.clients), daemon=True)
            process.start()
            pipes.append(parent)
            processes.append(process)
        try:
            run(args, cluster, meeting_id, speaker_token, targets, pcm, pipes, [p.pid for p in processes])
        finally:
            for process in processes:
                process.join(timeout=60)
                if process.is_alive():
                    process.kill()
    print(f"load average after: {load_average()}")


def run(args: argparse.Namespace, cluster: Cluster, meeting_id: int, speaker_token: str,
        targets: list[tuple[str, str]], pcm: bytes, pipes: list[Connection], clients: list[int]) -> None:
    started = time.monotonic()
    connected = [pipe.recv() for pipe in pipes]
    opened = sum(c[1] for c in connected)
    print(f"watchers connected: {opened}/{len(targets)} in {time.monotonic() - started:.1f} s "
          f"(refused {sum(c[2] for c in connected)}, errors {[c[3] for c in connected if c[3]]})", flush=True)
    audio_url = cluster.urls[0].replace("http", "ws", 1) + f"/ws/meetings/{meeting_id}/audio/"
    pids = {**cluster.pids(), **{f"client{i + 1}": pid for i, pid in enumerate(clients)}}
    cpu = {name: cpu_seconds(pid) for name, pid in pids.items()}
    started = time.monotonic()
    stopped = asyncio.run(stream_audio(audio_url, speaker_token, pcm, args.speed))
    time.sleep(3)  # the last final's event is on its way
    elapsed = time.monotonic() - started
    finals = finals_of(meeting_id)
    print("CPU while streaming (share of one core): " + "  ".join(
        f"{name} {(cpu_seconds(pid) - cpu[name]) / elapsed:.2f}" for name, pid in pids.items()), flush=True)
    for pipe in pipes:  # the clients wait (30 s at most) until every watcher has every final
        pipe.send(list(finals))
    received: list[dict[int, float]] = []
    lost = events = 0
    for pipe in pipes:
        _, watcher_maps, errors, samples, seen = pipe.recv()
        received += watcher_maps
        lost += errors
        events += seen
        if samples:
            print(f"client errors: {samples}")
    print(f"events delivered to watchers (partials, finals, status): {events} "
          f"({events / max(1, len(received)):.0f} per watcher)")
    report_fanout(finals, received, lost, stopped)
    per_client = args.storm // len(pipes)
    for index, pipe in enumerate(pipes):  # the same accounts connect again, each client its own
        own = targets[index:: len(pipes)]
        pipe.send(([own[i % len(own)] for i in range(per_client)], args.storm_seconds))
    results: list[tuple[bool, float]] = []
    for pipe in pipes:
        results += pipe.recv()[1]
    report_storm(results, args.storm_seconds)


def report_fanout(finals: dict[int, float], received: list[dict[int, float]], lost: int,
                  stopped: dict[str, Any]) -> None:
    delays: list[float] = []
    missing = late = 0
    for watcher in received:
        for segment_id, created in finals.items():
            if segment_id in watcher:
                delays.append(watcher[segment_id] - created)
            elif -segment_id in watcher:
                late += 1
            else:
                missing += 1
    expected = len(finals) * len(received)
    print(f"audio: {stopped.get('received_ms', 0) / 1000:.1f} s streamed; finals published: {len(finals)}; "
          f"watchers: {len(received)} ({lost} dropped)")
    if delays:
        p50, p99, worst = summary_ms(delays)
        print(f"deliveries: {len(delays)}/{expected}  missing: {missing}  late (resync): {late}")
        print(f"delivery ms  p50 {p50:.1f}  p90 {percentile(delays, 90) * 1000:.1f}  p99 {p99:.1f}  max {worst:.1f}")
    else:
        print(f"no deliveries; missing: {missing}")


def report_storm(results: list[tuple[bool, float]], seconds: float) -> None:
    ok = [t for good, t in results if good]
    print(f"connect storm: {len(ok)}/{len(results)} succeeded ({100 * len(ok) / max(1, len(results)):.2f} %) "
          f"over {seconds:.0f} s")
    if ok:
        p50, p99, worst = summary_ms(ok)
        print(f"handshake+snapshot ms  p50 {p50:.1f}  p99 {p99:.1f}  max {worst:.1f}")


if __name__ == "__main__":
    main()
