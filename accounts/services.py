"""Writes on accounts that no other app owns: the upkeep of sign-ins, the calendar link,
a person's own settings."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management import call_command

from core.errors import Invalid

from . import audit
from .models import CalendarFeed, User, _feed_token

# What mail a person gets and when (integrations/mail.py reads them).
MAIL_SETTINGS = ["time_zone", "digest_hour", "email_summaries", "email_digest"]
_OWN_SETTINGS = {"display_name", *MAIL_SETTINGS}


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


def account_update(*, user: Any, **changes: Any) -> User:
    """A person changes their own name and mail settings (the page and PATCH /api/v1/me/)."""
    fields = [name for name in changes if name in _OWN_SETTINGS]
    for name in fields:
        setattr(user, name, changes[name])
    try:
        # The page's form and the API's serializer check them first; other callers are checked here.
        user.clean_fields(exclude=[f.name for f in User._meta.fields if f.name not in fields])
    except ValidationError as error:
        user.refresh_from_db(fields=fields)  # the object in hand stays as saved
        errors = {name: [str(m) for m in messages] for name, messages in error.message_dict.items()}
        raise Invalid(next(iter(errors.values()))[0], fields=errors) from None
    user.save(update_fields=fields)
    return user
