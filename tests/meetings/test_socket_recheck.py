"""Open sockets close when their user signs out, changes password or is deactivated."""

import pytest
from channels.db import database_sync_to_async
from django.contrib.sessions.models import Session

from accounts.models import User
from tests.sockets import access_token, connect, expect_refusal, receive

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def quick_recheck(settings):
    settings.MINA_SOCKET_RECHECK_S = 0.2


async def test_signing_out_closes_the_socket(meeting, owner):
    ws, _, _ = await connect(f"/ws/meetings/{meeting.id}/", user=owner)
    try:
        await receive(ws)
        await database_sync_to_async(lambda: Session.objects.all().delete())()
        assert (await expect_refusal(ws, 4401))["code"] == "session_ended"
    finally:
        await ws.disconnect()


async def test_a_password_change_closes_the_socket(meeting, owner):
    ws, _, _ = await connect(f"/ws/meetings/{meeting.id}/", user=owner)
    try:
        await receive(ws)

        def change():
            user = User.objects.get(pk=owner.pk)
            user.set_password("another-strong-pass-456")
            user.save()

        await database_sync_to_async(change)()
        await expect_refusal(ws, 4401)
    finally:
        await ws.disconnect()


async def test_deactivating_the_account_closes_a_jwt_socket(meeting, owner):
    ws, _, _ = await connect(f"/ws/meetings/{meeting.id}/", token=access_token(owner), origin=None)
    try:
        await receive(ws)
        await database_sync_to_async(lambda: User.objects.filter(pk=owner.pk).update(is_active=False))()
        await expect_refusal(ws, 4401)
    finally:
        await ws.disconnect()


async def test_a_socket_that_stays_allowed_stays_open(meeting, owner):
    ws, _, _ = await connect(f"/ws/meetings/{meeting.id}/", user=owner)
    try:
        await receive(ws)
        assert await ws.receive_nothing(timeout=0.8)
    finally:
        await ws.disconnect()
