"""The two sockets of a meeting: the microphone in (audio), the transcript out (meeting)."""

from .audio import AudioConsumer
from .meeting import MeetingConsumer

__all__ = ["AudioConsumer", "MeetingConsumer"]
