"""Celery tasks: thin wrappers that take ids and call a service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import shared_task
from celery.signals import worker_init
from django.conf import settings
from django.utils import timezone

from . import mail, services


@shared_task(bind=True, name="integrations.tasks.deliver", acks_late=True, max_retries=None)
def deliver(self: Any, delivery_id: int) -> None:
    """One attempt; the row counts attempts and says when to try again (the service
    decides, so a job queued again after a restart follows the same schedule)."""
    wait = services.delivery_attempt(delivery_id=delivery_id)
    if wait is not None:
        raise self.retry(countdown=wait, queue=settings.MINA_OUTBOUND_QUEUE)


@shared_task(name="integrations.tasks.requeue")
def requeue() -> None:
    """Periodic: deliveries whose job was lost are queued again."""
    overdue = timedelta(seconds=settings.MINA_WEBHOOK_TIMEOUT_S * 2 + 60)
    services.deliveries_requeue(due_before=timezone.now() - overdue)


@worker_init.connect
def requeue_on_start(**kwargs: Any) -> None:
    """A worker starting (after a restart) takes up every pending delivery: the memory
    broker of the embedded mode lost the queued ones with the process."""
    services.deliveries_requeue()


@shared_task(bind=True, name="integrations.tasks.send_mail", acks_late=True, max_retries=None)
def send_mail(self: Any, mail_id: int) -> None:
    """One attempt at a mail to a member; the row says when to try again (integrations/mail.py)."""
    wait = mail.mail_attempt(mail_id=mail_id)
    if wait is not None:
        raise self.retry(countdown=wait, queue=settings.MINA_OUTBOUND_QUEUE)


@shared_task(name="integrations.tasks.mail_periodic")
def mail_periodic() -> None:
    """Periodic: the digests whose hour has come, and mail whose job was lost."""
    now = timezone.now()
    mail.digests_queue(now=now)
    mail.mails_requeue(due_before=now - timedelta(seconds=settings.EMAIL_TIMEOUT * 2 + 60))


@worker_init.connect
def requeue_mail_on_start(**kwargs: Any) -> None:
    """As for deliveries: a worker starting takes up every queued mail."""
    mail.mails_requeue()
