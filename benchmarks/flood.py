"""One user's flood of API requests against another user's latency, on a real server.

    python benchmarks/flood.py [--rounds 3] [--requests 20]

Starts `manage.py serve` (the embedded mode) on a fresh SQLite database with the per-user
API limit at 200/min (above what the victim sends in a run), then, each round, times a second user's `GET /api/v1/meetings/`
alone and again while two threads flood the same endpoint as the first user (who is cut
off with 429 once over the limit). Prints the victim's median before and during, their
ratio, and how many flood requests were refused. Target: the victim's median under flood
within 3x its median alone (+25 ms): the flood's answers are cheap 429s.

The tests check that the flood is cut and the other user is served; the timing is here,
where a busy machine makes a number to read rather than a failed build.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
import urllib.error
import urllib.request

from live_latency import _manage, started

SETUP = """
from rest_framework_simplejwt.tokens import AccessToken
from accounts.models import User
from meetings.models import Meeting
from workspaces.models import Membership, Workspace
workspace = Workspace.objects.create(slug="flood", name="Flood")
users = [User.objects.create_user(f"{name}@example.com") for name in ("flooder", "victim")]
for user in users:
    Membership.objects.create(workspace=workspace, user=user, role="member")
for n in range(5):
    Meeting.objects.create(workspace=workspace, title=f"Meeting {n}", organizer=users[1])
print(*(AccessToken.for_user(user) for user in users))
"""


def _get(url: str, token: str) -> tuple[int, float]:
    request = urllib.request.Request(f"{url}/api/v1/meetings/", headers={"Authorization": f"Bearer {token}"})
    started_at = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback only)
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        error.read()
        status = error.code
    return status, time.perf_counter() - started_at


def _median_ms(url: str, token: str, count: int) -> float:
    results = [_get(url, token) for _ in range(count)]
    if any(status != 200 for status, _ in results):
        raise SystemExit(f"the victim was refused: {[status for status, _ in results]}")
    return statistics.median(seconds for _, seconds in results) * 1000


def one_round(url: str, flood_token: str, victim_token: str, requests: int) -> tuple[float, float, int, int]:
    before = _median_ms(url, victim_token, requests)
    stop, statuses = threading.Event(), []

    def flood() -> None:
        while not stop.is_set():
            statuses.append(_get(url, flood_token)[0])

    threads = [threading.Thread(target=flood) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 20
        while 429 not in statuses and time.monotonic() < deadline:
            time.sleep(0.01)
        during = _median_ms(url, victim_token, requests)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return before, during, statuses.count(429), len(statuses)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=20, help="victim requests per measurement")
    args = parser.parse_args()
    os.environ["MINA_RATE_API_USER"] = "200/min"
    with started("embedded", "") as server:
        flood_token, victim_token = _manage(server.env, "shell", "-c", SETUP).split()[-2:]
        _median_ms(server.url, victim_token, 3)  # warm up
        print(f"{'round':>5} {'alone ms':>9} {'flood ms':>9} {'ratio':>6} {'refused':>12}")
        ratios = []
        for n in range(1, args.rounds + 1):
            before, during, refused, sent = one_round(server.url, flood_token, victim_token, args.requests)
            ratios.append(during / before)
            print(f"{n:>5} {before:>9.1f} {during:>9.1f} {during / before:>6.2f} {refused:>5} of {sent:<5}")
        print(f"median ratio {statistics.median(ratios):.2f} (target: within 3x, +25 ms)")


if __name__ == "__main__":
    main()
