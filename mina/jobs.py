"""Enqueueing jobs: always on commit, so a job never runs before its rows exist."""

from __future__ import annotations

from typing import Any

from django.db import transaction


def enqueue(task: Any, *args: Any, **options: Any) -> None:
    transaction.on_commit(lambda: task.apply_async(args=args, **options))
