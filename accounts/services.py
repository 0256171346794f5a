"""Writes on sign-ins that no request makes: the periodic upkeep's."""

from __future__ import annotations

from django.core.management import call_command


def sign_ins_purge_expired() -> None:
    """Expired sessions and refresh tokens (with their blacklist rows) are never accepted
    again, and nothing else deletes them: both tables would only grow."""
    call_command("clearsessions")
    call_command("flushexpiredtokens")
