"""Invitation emails, sent by a job: a slow or failing mail server never holds up the page."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from . import services


@shared_task(
    name="workspaces.tasks.send_invitation",
    autoretry_for=(OSError, SMTPException),  # the mail server unreachable or refusing for now
    retry_backoff=30,
    max_retries=5,
)
def send_invitation(invitation_id: int, link: str) -> None:
    services.invitation_email(invitation_id=invitation_id, link=link)
