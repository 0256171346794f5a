"""What meetings announce to the apps above them (which meetings does not import)."""

from typing import Any

from django.db import transaction
from django.dispatch import Signal

# A live meeting has ended (its organizer, an admin or the idle timer): `meeting`.
meeting_ended = Signal()

# Sent once the change is committed (`send_on_commit`), for webhooks and the like:
# a meeting's careful pass and summary are done, status ready: `meeting`.
meeting_ready = Signal()
# A task was made or changed, by a person or a summary: `task`.
task_created = Signal()
task_updated = Signal()
# A summary states decisions it did not state before: `meeting`, `decisions` (texts).
decisions_created = Signal()


def send_on_commit(signal: Signal, **kwargs: Any) -> None:
    """Once committed; a receiver that fails is logged (send_robust), never undoing the
    change or failing the request that made it."""
    transaction.on_commit(lambda: signal.send_robust(sender=None, **kwargs))
