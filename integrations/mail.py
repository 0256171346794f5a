"""Mail to members: each meeting's summary and tasks once it is ready, to the participants
who are members, and a daily digest of each member's tasks due and overdue, at the hour
they chose in their own time zone. Both through Django's mail, by Celery jobs.

Never twice. Every mail is a row (`OutgoingMail`, unique per kind, member and key: the
meeting's id, or the member's local date) made when it is queued, so a meeting that
becomes ready again or a periodic run that overlaps another finds the row and queues
nothing new. A job then claims the row (queued → sending, committed; a second job for
the same mail finds it claimed), sends, and marks it sent:

- the mail server away (an SMTP error, a connection refused, reset or timed out) puts the
  row back to `queued` with a later attempt: retried with back-off, then `failed`;
- a worker that dies between the claim and the mark leaves the row `sending`. The mail
  may well have gone (the window is the SMTP exchange itself), and no retry can tell, so
  it is not sent again: at most once, rather than a second copy. The message is built
  before the claim, so a bug or a database error there never strands a mail. Such rows
  are listed in the admin (status "Sending").
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from smtplib import SMTPException
from zoneinfo import ZoneInfo

from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from accounts.models import User, time_zone_names
from core.jobs import enqueue, enqueue_at
from meetings.models import Meeting, Participant, Summary

from . import mail_messages
from .models import OutgoingMail

logger = logging.getLogger(__name__)

SEND = "integrations.tasks.send_mail"
Kind, Status = OutgoingMail.Kind, OutgoingMail.Status


def meeting_mail_queue(*, meeting: Meeting) -> int:
    """A ready meeting's summary, to each participant who is a member and has not opted
    out; once per meeting and member, however often the meeting becomes ready again."""
    if not Summary.objects.filter(meeting=meeting).exists():
        return 0
    participants = Participant.objects.filter(meeting=meeting, user__isnull=False).values("user_id")
    recipients = User.objects.filter(
        pk__in=participants, is_active=True, email_summaries=True, memberships__workspace_id=meeting.workspace_id
    )
    return _queue(Kind.MEETING_SUMMARY, str(meeting.pk), recipients.values_list("pk", flat=True))


def digests_queue(*, now: datetime) -> int:
    """Periodic: today's digest for every member whose local time has reached their digest
    hour, who has not had today's, and who has tasks due or overdue. One query per time
    zone in use, in which the database checks "has tasks" (EXISTS, on the assignee's
    index) and "not had today's": a run with nothing to send stays cheap however often it
    comes (benchmarks/digest.py)."""
    opted_in = User.objects.filter(is_active=True, email_digest=True)
    zones = opted_in.order_by().values_list("time_zone", flat=True).distinct()
    queued = 0
    for zone in zones:
        if zone not in time_zone_names():  # validated on every write; a hand edit gets a warning
            logger.warning("digest skipped: unknown time zone %r", zone)
            continue
        local = now.astimezone(ZoneInfo(zone))
        key = local.date().isoformat()
        # NOT IN, not NOT EXISTS: one read of the day's rows, whatever the planner's statistics.
        had_it = OutgoingMail.objects.filter(kind=Kind.DIGEST, key=key).values("user_id")
        due = (
            opted_in.filter(time_zone=zone, digest_hour__lte=local.hour)
            .exclude(pk__in=had_it)
            .filter(Exists(mail_messages.digest_tasks(OuterRef("pk"), local.date())))
        )
        queued += _queue(Kind.DIGEST, key, due.order_by().values_list("pk", flat=True))
    return queued


def _queue(kind: str, key: str, user_ids: Iterable[int]) -> int:
    """One row per member (a row already there wins: that mail is queued or done) and a
    job for each new one, queued on commit."""
    ids = list(user_ids)
    if not ids:
        return 0
    started = timezone.now()
    with transaction.atomic():
        rows = [OutgoingMail(kind=kind, key=key, user_id=user_id, next_attempt_at=started) for user_id in ids]
        OutgoingMail.objects.bulk_create(rows, ignore_conflicts=True)
        # bulk_create with ignore_conflicts returns no ids: the rows made just now are ours.
        new = list(
            OutgoingMail.objects.filter(kind=kind, key=key, created_at__gte=started).values_list("pk", flat=True)
        )
        for mail_id in new:
            enqueue(SEND, mail_id, queue=settings.MINA_OUTBOUND_QUEUE)
        logger.info("mail queued kind=%s key=%s count=%s", kind, key, len(new))
    return len(new)


# --- Sending --------------------------------------------------------------------------


def mail_attempt(*, mail_id: int) -> int | None:
    """One attempt at a queued mail. Returns the seconds to wait before the next one, or
    None when the mail is settled (sent, skipped, given up, or not queued any more)."""
    mail = OutgoingMail.objects.select_related("user").filter(pk=mail_id, status=Status.QUEUED).first()
    if mail is None:
        return None
    message = _compose(mail)
    if message is None:
        OutgoingMail.objects.filter(pk=mail.pk, status=Status.QUEUED).update(
            status=Status.SKIPPED, next_attempt_at=None
        )
        return None
    # The claim, committed before the mail goes (not in a transaction): only one job wins it.
    claimed = OutgoingMail.objects.filter(pk=mail.pk, status=Status.QUEUED).update(
        status=Status.SENDING, attempts=F("attempts") + 1, next_attempt_at=None
    )
    if not claimed:
        return None
    try:
        message.send()
    except (SMTPException, OSError) as exc:  # OSError: refused, reset, timed out, no route
        return _put_back(mail, attempts=mail.attempts + 1, error=f"{type(exc).__name__}: {exc}")
    OutgoingMail.objects.filter(pk=mail.pk).update(status=Status.SENT, sent_at=timezone.now(), error="")
    logger.info("mail sent id=%s kind=%s user=%s", mail.pk, mail.kind, mail.user_id)
    return None


def _compose(mail: OutgoingMail) -> EmailMultiAlternatives | None:
    if mail.kind == Kind.MEETING_SUMMARY:
        return mail_messages.meeting_summary(user=mail.user, meeting_id=int(mail.key))
    return mail_messages.digest(user=mail.user, day=date.fromisoformat(mail.key))


def _put_back(mail: OutgoingMail, *, attempts: int, error: str) -> int | None:
    """The mail server is away: try again later, or give up after the last attempt."""
    unsent = OutgoingMail.objects.filter(pk=mail.pk, status=Status.SENDING)
    if attempts >= settings.MINA_MAIL_MAX_ATTEMPTS:
        unsent.update(status=Status.FAILED, error=error[:500])
        logger.warning("mail given up id=%s kind=%s attempts=%s (%s)", mail.pk, mail.kind, attempts, error)
        return None
    wait = get_exponential_backoff_interval(
        settings.MINA_MAIL_RETRY_BASE_S, attempts - 1, settings.MINA_MAIL_RETRY_MAX_S, full_jitter=False
    )
    unsent.update(status=Status.QUEUED, error=error[:500], next_attempt_at=timezone.now() + timedelta(seconds=wait))
    logger.info("mail not sent id=%s attempt=%s retry_in=%ss (%s)", mail.pk, attempts, wait, error)
    return int(wait)


def mail_retry(*, mail_id: int) -> OutgoingMail | None:
    """A mail that was given up (the mail server away too long), tried again from its
    first attempt; None if it had not failed."""
    with transaction.atomic():
        mail = OutgoingMail.objects.select_for_update().filter(pk=mail_id, status=Status.FAILED).first()
        if mail is None:
            return None
        mail.status, mail.attempts, mail.next_attempt_at = Status.QUEUED, 0, timezone.now()
        mail.save(update_fields=["status", "attempts", "next_attempt_at"])
        enqueue(SEND, mail.pk, queue=settings.MINA_OUTBOUND_QUEUE)
    return mail


def mails_requeue(*, due_before: datetime | None = None) -> int:
    """Queue again the mail whose job was lost (the broker was down, a worker died with it,
    the embedded mode's memory broker restarted): queued rows whose attempt is overdue by
    `due_before`, or every queued one (a worker starting), each at its time. A mail queued
    twice still goes once: the first job claims it."""
    queued = OutgoingMail.objects.filter(status=Status.QUEUED)
    if due_before is not None:
        queued = queued.filter(next_attempt_at__lt=due_before)
    count = 0
    for mail_id, next_at in queued.values_list("id", "next_attempt_at"):
        enqueue_at(SEND, mail_id, at=next_at, queue=settings.MINA_OUTBOUND_QUEUE)
        count += 1
    if count:
        logger.info("mail queued again count=%s", count)
    return count
