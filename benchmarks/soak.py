"""Soak: watchers connecting and leaving at 10 a second around a live stream, for minutes.

    .venv/bin/python benchmarks/soak.py [--minutes 30] [--rate 10] [--database mina_bench]

Starts a private Redis, two Daphne processes and a Celery worker on the benchmark
database. A source streams `standup.wav` over and over, at real time, into one meeting;
meanwhile watchers (200 accounts, alternating between the servers) connect to the
meeting's socket at `--rate` a second, read the snapshot and the events, and leave after
5 to 30 s. The memory (VmRSS) of every server process and Redis's key count and memory
are sampled: at start, at the baseline (after a one-minute warm-up of the same load and a
settle), every `--sample-seconds` during the soak, and after it (the stream stopped, every
watcher gone, rate-limit windows and channel messages expired). Target: every process's
memory and the Redis keys back to the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from _cluster import DATA, Cluster, django_env, load_average, raise_open_files, rss_kb, setup_django
from stream_wav import read_pcm

FRAME_BYTES = 3200
SETTLE_S = 75  # rate-limit windows (61 s) and channel messages (60 s) expire


class Load:
    """The audio source and the churning watchers, until `stop` is set."""

    def __init__(self, urls: list[str], meeting_id: int, speaker: str, tokens: list[str], rate: float) -> None:
        self.ws = [u.replace("http", "ws", 1) + f"/ws/meetings/{meeting_id}/" for u in urls]
        self.speaker, self.tokens, self.rate = speaker, tokens, rate
        self.stop = asyncio.Event()
        self.counts = {"connected": 0, "failed": 0, "events": 0, "open": 0, "audio_s": 0.0}
        self.rng = random.Random(7)

    async def source(self, pcm: bytes) -> None:
        import websockets

        async with websockets.connect(self.ws[0] + "audio/", subprotocols=["mina.v1", self.speaker]) as mic:
            await mic.send(json.dumps({"type": "start", "sample_rate": 16000, "format": "pcm_s16le"}))
            assert json.loads(await mic.recv())["type"] == "ready"
            started, index = time.monotonic(), 0
            while not self.stop.is_set():
                offset = (index * FRAME_BYTES) % len(pcm)
                await mic.send(pcm[offset: offset + FRAME_BYTES])
                index += 1
                self.counts["audio_s"] = index / 10
                delay = started + index * 0.1 - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            await mic.send(json.dumps({"type": "stop"}))
            for _ in range(10_000):
                if json.loads(await asyncio.wait_for(mic.recv(), timeout=120))["type"] == "stopped":
                    return

    async def watcher(self, index: int) -> None:
        import websockets

        self.counts["open"] += 1
        try:
            async with websockets.connect(self.ws[index % 2], subprotocols=["mina.v1", self.tokens[index % len(
                    self.tokens)]], open_timeout=30) as ws:
                if json.loads(await asyncio.wait_for(ws.recv(), 30))["type"] != "snapshot":
                    raise RuntimeError("no snapshot")
                self.counts["connected"] += 1
                leave_at = time.monotonic() + self.rng.uniform(5, 30)
                while time.monotonic() < leave_at and not self.stop.is_set():
                    try:
                        await asyncio.wait_for(ws.recv(), timeout=max(0.01, min(1.0, leave_at - time.monotonic())))
                        self.counts["events"] += 1
                    except TimeoutError:
                        continue
        except Exception:
            self.counts["failed"] += 1
        finally:
            self.counts["open"] -= 1

    async def churn(self) -> None:
        tasks: set[asyncio.Task[None]] = set()
        started, index = time.monotonic(), 0
        while not self.stop.is_set():
            task = asyncio.ensure_future(self.watcher(index))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            index += 1
            delay = started + index / self.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        if tasks:
            await asyncio.wait(tasks, timeout=60)


def sample(cluster: Cluster, load: Load | None, label: str) -> dict[str, Any]:
    row: dict[str, Any] = {"label": label, "t": time.monotonic(), "load": load_average()}
    row["rss"] = {name: rss_kb(pid) for name, pid in cluster.pids().items()}
    row["keys"] = int(cluster.redis("DBSIZE") or 0)
    if load is None:  # the quiet samples: which keys, to compare baseline and after
        row["names"] = sorted(set(cluster.redis("--scan", "--count", "1000").split()))[:200]
    row["redis_kb"] = cluster.redis_memory_kb()
    row["open"] = load.counts["open"] if load else 0
    return row


def print_row(row: dict[str, Any]) -> None:
    rss = "  ".join(f"{name} {kb / 1024:.0f}" for name, kb in row["rss"].items())
    print(f"{row['label']:>10}  watchers open {row['open']:>4}  redis keys {row['keys']:>4} "
          f"mem {row['redis_kb'] / 1024:.1f} MB  RSS MB: {rss}  load {row['load']}", flush=True)


async def run_load(cluster: Cluster, setup: tuple[int, str, list[str]], pcm: bytes, rate: float, seconds: float,
                   sample_every: float, samples: list[dict[str, Any]], label: str) -> Load:
    meeting_id, speaker, tokens = setup
    load = Load(cluster.urls, meeting_id, speaker, tokens, rate)
    source = asyncio.ensure_future(load.source(pcm))
    churn = asyncio.ensure_future(load.churn())
    loop = asyncio.get_running_loop()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        await asyncio.sleep(min(sample_every, max(0.0, end - time.monotonic())))
        if time.monotonic() < end - 1:
            row = await loop.run_in_executor(None, sample, cluster, load, f"{label} {seconds - (end - time.monotonic()):.0f}s")
            samples.append(row)
            print_row(row)
    load.stop.set()
    await asyncio.gather(source, churn)
    return load


def make_accounts(watchers: int, label: str) -> tuple[int, str, list[str]]:
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User
    from meetings.models import Meeting
    from workspaces.models import Membership, Role, Workspace

    workspace, _ = Workspace.objects.get_or_create(slug="soak", defaults={"name": "Soak"})
    speaker, _ = User.objects.get_or_create(email="soak-speaker@example.com", defaults={"display_name": "Speaker"})
    Membership.objects.get_or_create(workspace=workspace, user=speaker, defaults={"role": Role.MEMBER})
    users = []
    for i in range(watchers):
        user, _ = User.objects.get_or_create(email=f"soak-watcher-{i}@example.com", defaults={"password": "!"})
        Membership.objects.get_or_create(workspace=workspace, user=user, defaults={"role": Role.VIEWER})
        users.append(user)
    meeting = Meeting.objects.create(workspace=workspace, title=f"Soak {label}", organizer=speaker)
    return meeting.id, str(AccessToken.for_user(speaker)), [str(AccessToken.for_user(u)) for u in users]


def report(samples: list[dict[str, Any]], baseline: dict[str, Any], after: dict[str, Any], start: dict[str, Any]) -> None:
    during = [s for s in samples if s["label"].startswith("soak")]
    print("\nprocess      start MB  baseline MB  max during MB  after MB  after-baseline MB  trend MB/h (2nd half)")
    for name in baseline["rss"]:
        values = [s["rss"].get(name, 0) / 1024 for s in during]
        half = during[len(during) // 2:]
        trend = 0.0
        if len(half) >= 3:
            xs = [(s["t"] - half[0]["t"]) / 3600 for s in half]
            ys = [s["rss"].get(name, 0) / 1024 for s in half]
            trend = statistics.linear_regression(xs, ys).slope
        print(f"{name:<12} {start['rss'].get(name, 0) / 1024:>8.0f} {baseline['rss'][name] / 1024:>12.0f} "
              f"{max(values, default=0):>14.0f} {after['rss'].get(name, 0) / 1024:>9.0f} "
              f"{(after['rss'].get(name, 0) - baseline['rss'][name]) / 1024:>+18.1f} {trend:>+12.1f}")
    print(f"redis keys   {start['keys']:>8} {baseline['keys']:>12} {max(s['keys'] for s in during):>14} "
          f"{after['keys']:>9} {after['keys'] - baseline['keys']:>+18}")
    print(f"redis keys left after the soak that were not there at the baseline: "
          f"{sorted(set(after['names']) - set(baseline['names'])) or 'none'}")
    print(f"redis MB     {start['redis_kb'] / 1024:>8.1f} {baseline['redis_kb'] / 1024:>12.1f} "
          f"{max(s['redis_kb'] for s in during) / 1024:>14.1f} {after['redis_kb'] / 1024:>9.1f} "
          f"{(after['redis_kb'] - baseline['redis_kb']) / 1024:>+18.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="mina_bench")
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--rate", type=float, default=10, help="watchers connecting a second")
    parser.add_argument("--warm-up", type=float, default=60, help="seconds of the same load before the baseline")
    parser.add_argument("--sample-seconds", type=float, default=30)
    args = parser.parse_args()
    raise_open_files()
    setup_django(args.database, MINA_JWT_ACCESS_MINUTES=str(int(args.minutes) + 60))
    from django.db import connections

    warm, soak = make_accounts(200, "warm-up"), make_accounts(200, time.strftime("%H:%M"))
    connections.close_all()
    pcm = read_pcm(DATA / "speech" / "standup.wav")
    samples: list[dict[str, Any]] = []
    try:
        with Cluster(args.database, web=2, worker=True) as cluster:
            start = sample(cluster, None, "start")
            print_row(start)
            asyncio.run(run_load(cluster, warm, pcm, args.rate, args.warm_up, 1e9, samples, "warm-up"))
            time.sleep(SETTLE_S)
            baseline = sample(cluster, None, "baseline")
            print_row(baseline)
            load = asyncio.run(run_load(cluster, soak, pcm, args.rate, args.minutes * 60, args.sample_seconds,
                                        samples, "soak"))
            print(f"soak: {load.counts['connected']} watcher connections ok, {load.counts['failed']} failed, "
                  f"{load.counts['events']} events read, {load.counts['audio_s']:.0f} s of audio streamed")
            time.sleep(SETTLE_S)
            after = sample(cluster, None, "after")
            print_row(after)
            report(samples, baseline, after, start)
    finally:  # the live recordings' audio
        shutil.rmtree(Path(django_env(args.database, "")["MEDIA_ROOT"]), ignore_errors=True)
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
