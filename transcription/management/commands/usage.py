from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from transcription import usage
from workspaces.models import Workspace

COLUMNS = ["minutes recorded", "uploaded", "transcribed", "meetings", "active members"]


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = (
        "Usage per workspace and day or month (site time zone): minutes recorded live, uploaded and "
        "transcribed (careful pass done), meetings, active members (organised, recorded or uploaded)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", metavar="SLUG", help="This workspace only (default: every one).")
        parser.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="From this day, included.")
        parser.add_argument("--until", type=_date, metavar="YYYY-MM-DD", help="To this day, included.")
        parser.add_argument("--by", choices=["day", "month"], default="month")
        parser.add_argument("--csv", action="store_true", help="CSV on stdout, for scripts.")

    def handle(self, *args: Any, workspace: str | None, since: date | None, until: date | None, by: usage.Period,
               csv: bool, **options: Any) -> None:
        workspaces = None
        if workspace is not None:
            workspaces = list(Workspace.objects.filter(slug=workspace))
            if not workspaces:
                raise CommandError(f"No workspace with the slug {workspace!r}.")
        rows = usage.usage_list(workspaces=workspaces, since=since, until=until, by=by)
        if csv:
            usage.write_csv(rows, self.stdout, by=by)
            return
        if not rows:
            self.stdout.write("No usage in this window.")
            return
        width = max(len("workspace"), *(len(u.workspace) for u in rows))
        self.stdout.write(f"{'workspace':<{width}}  {'period':<10}  " + "  ".join(COLUMNS))
        for u in rows:
            cells = "  ".join(f"{value:>{len(column)}}" for column, value in zip(COLUMNS, u.values(), strict=True))
            self.stdout.write(f"{u.workspace:<{width}}  {u.label(by):<10}  {cells}")
