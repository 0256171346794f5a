"""Trap: Daphne closes every socket after `--websocket_timeout` (86400 s by default).

Mina's servers turn that off (the Procfile's `web`, and `manage.py serve`); behind any
other server or proxy that closes long sockets, clients reconnect with `after=<last
seen id>` and miss nothing. Tested with a two-second timeout.
"""

import asyncio
import inspect
from pathlib import Path

import pytest
from channels.db import database_sync_to_async

from mina.management.commands import serve
from tests.factories import SegmentFactory
from tests.faults.clients import Watcher, wait_until
from tests.faults.processes import daphne, running, server_env
from tests.sockets import access_token

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def test_mina_servers_never_close_sockets_by_age():
    web = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    assert "daphne" in web and "--websocket_timeout -1" in web
    assert "websocket_timeout=-1" in inspect.getsource(serve.Command.handle)


def test_a_socket_closed_by_age_reconnects_and_misses_nothing(meeting, owner):
    web = daphne(server_env(), "--websocket_timeout", "2")
    before = SegmentFactory(meeting=meeting)

    async def scenario():
        watcher = Watcher(web.address, meeting.id, access_token(owner))
        await watcher.connect()
        try:
            assert set(watcher.segments) == {before.id}
            await wait_until(lambda: not watcher.open, 10, "Daphne to close the socket")
            during = await database_sync_to_async(lambda: [SegmentFactory(meeting=meeting) for _ in range(3)])()
            await watcher.reconnect()
            return watcher, during
        finally:
            await watcher.close()

    with running(web):
        web.start()
        watcher, during = asyncio.run(scenario())
    assert set(watcher.segments) == {before.id, *(s.id for s in during)}
    reconnect_snapshot = watcher.of_type("snapshot")[1]
    assert {s["id"] for s in reconnect_snapshot["segments"]} == {s.id for s in during}, "only what it missed"
