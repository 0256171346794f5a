from typing import Any

from django.core.management.base import BaseCommand

from transcription import jobs


class Command(BaseCommand):
    help = "Delete meetings (audio, transcripts, summaries, tasks) older than their workspace's retention."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Purged {jobs.purge_expired()} meeting(s).")
