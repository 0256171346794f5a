"""Writes on accounts that no other app owns: the upkeep of sign-ins, the calendar link."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command

from . import audit
from .models import CalendarFeed, _feed_token


def sign_ins_purge_expired() -> None:
    """Expired sessions and refresh tokens (with their blacklist rows) are never accepted
    again, and nothing else deletes them: both tables would only grow."""
    call_command("clearsessions")
    call_command("flushexpiredtokens")


def calendar_feed_get(*, user: Any) -> CalendarFeed:
    """The member's calendar link, made on first use."""
    feed, _ = CalendarFeed.objects.get_or_create(user=user)
    return feed


def calendar_feed_renew(*, user: Any) -> CalendarFeed:
    """A new link; the old one answers 404 from now on (a link shared by mistake)."""
    feed = calendar_feed_get(user=user)
    feed.token = _feed_token()
    feed.save(update_fields=["token", "created_at"])
    audit.record("calendar_link_renewed", actor=user)
    return feed
