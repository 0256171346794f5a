"""Rebuild Ask Mina's index: `manage.py reindex [--workspace ID]`, with a progress bar."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ask import services
from workspaces.models import Workspace


class Command(BaseCommand):
    help = "Re-embed the transcripts of one workspace's meetings, or of every meeting, for Ask Mina."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--workspace", type=int, help="Only this workspace (its id).")

    def handle(self, *args: Any, workspace: int | None, **options: Any) -> None:
        if workspace is not None and not Workspace.objects.filter(pk=workspace).exists():
            raise CommandError(f"There is no workspace {workspace}.")
        meeting_ids = services.meetings_to_index(workspace_id=workspace)
        started, passages = time.monotonic(), 0
        for done, meeting_id in enumerate(meeting_ids, start=1):
            passages += services.meeting_index(meeting_id=meeting_id)
            self._bar(done, len(meeting_ids), passages)
        if meeting_ids:
            self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"Indexed {len(meeting_ids)} meeting(s), {passages} passage(s) in {time.monotonic() - started:.1f} s."
            )
        )

    def _bar(self, done: int, total: int, passages: int, width: int = 30) -> None:
        filled = width * done // total
        self.stdout.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} meetings, {passages} passages", ending=""
        )
        self.stdout.flush()
