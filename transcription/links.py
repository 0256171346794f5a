"""Signed, short-lived links to a recording's audio, for players that cannot send a header.

A link names one recording and the user it was made for, and expires after
MINA_AUDIO_LINK_MINUTES. It is not a sign-in: every request through it checks that user's
access again, so a link stops working when they leave the workspace or are deactivated.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from core.errors import Forbidden

_SALT = "mina.recording-audio"
PARAMETER = "sig"


def audio_link(*, recording_id: int, user_id: int) -> tuple[str, datetime]:
    """The path (with its signature) and when it expires."""
    signature = signing.TimestampSigner(salt=_SALT).sign_object({"r": recording_id, "u": user_id})
    path = reverse("transcription:recording-audio", args=[recording_id])
    return f"{path}?{urlencode({PARAMETER: signature})}", timezone.now() + _lifetime()


def audio_link_user_id(signature: str, *, recording_id: int) -> int:
    """The user a link was made for; Forbidden when it is forged, expired or another recording's."""
    try:
        value = signing.TimestampSigner(salt=_SALT).unsign_object(signature, max_age=_lifetime())
    except signing.SignatureExpired:
        raise Forbidden("This audio link has expired: ask for the recording again.", code="link_expired") from None
    except signing.BadSignature:
        raise Forbidden("This audio link is not valid.", code="link_not_valid") from None
    if not isinstance(value, dict) or value.get("r") != recording_id or not isinstance(value.get("u"), int):
        raise Forbidden("This audio link is not valid.", code="link_not_valid")
    return value["u"]


def _lifetime() -> timedelta:
    return timedelta(minutes=settings.MINA_AUDIO_LINK_MINUTES)
