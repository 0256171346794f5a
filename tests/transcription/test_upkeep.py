"""The periodic upkeep also clears expired sign-ins: sessions and refresh tokens."""

from datetime import timedelta

from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from transcription import jobs


def session(expires_in: timedelta) -> str:
    store = SessionStore()
    store["user"] = "someone"
    store.set_expiry(timezone.now() + expires_in)
    store.save()
    return str(store.session_key)


def refresh_token(user, expires_in: timedelta) -> str:
    token = RefreshToken.for_user(user)  # recorded as an outstanding token
    OutstandingToken.objects.filter(jti=token["jti"]).update(expires_at=timezone.now() + expires_in)
    return str(token["jti"])


def test_expired_sessions_go_and_live_ones_stay(db):
    expired, live = session(-timedelta(minutes=1)), session(timedelta(days=1))
    jobs.periodic()
    assert set(Session.objects.values_list("session_key", flat=True)) == {live}
    assert expired != live


def test_expired_refresh_tokens_and_their_blacklist_rows_go_and_live_ones_stay(owner):
    expired, live = refresh_token(owner, -timedelta(minutes=1)), refresh_token(owner, timedelta(days=1))
    BlacklistedToken.objects.create(token=OutstandingToken.objects.get(jti=expired))
    jobs.periodic()
    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == [live]
    assert not BlacklistedToken.objects.exists()
