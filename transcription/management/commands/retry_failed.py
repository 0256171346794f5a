from typing import Any

from django.core.management.base import BaseCommand

from transcription import jobs
from transcription.models import Recording


class Command(BaseCommand):
    help = "Queue every failed recording for transcription again."

    def handle(self, *args: Any, **options: Any) -> None:
        failed = Recording.objects.filter(status=Recording.Status.FAILED).exclude(file="").select_related("meeting")
        count = 0
        for recording in failed:
            jobs.retranscribe(recording=recording)
            count += 1
        self.stdout.write(f"Queued {count} failed recording(s).")
