"""What meetings announce to the apps above them (which meetings does not import)."""

from django.dispatch import Signal

# A live meeting has ended (its organizer, an admin or the idle timer): `meeting`.
meeting_ended = Signal()
