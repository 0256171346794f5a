from typing import Any

from django.core.management.base import BaseCommand, CommandError

from meetings.models import Meeting
from transcription.summaries import summary_generate


class Command(BaseCommand):
    help = "Write (or rewrite) a meeting's summary and tasks; hand-edited tasks are kept."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("meeting", type=int)

    def handle(self, *args: Any, meeting: int, **options: Any) -> None:
        found = Meeting.objects.select_related("workspace").filter(pk=meeting).first()
        if found is None:
            raise CommandError(f"No meeting {meeting}.")
        summary = summary_generate(meeting=found)
        self.stdout.write(f"Summary written ({summary.engine}); {found.tasks.count()} task(s).")
