"""Writes for webhooks: endpoints, the deliveries an event makes, and each attempt."""

from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime, timedelta

from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts import audit
from core.errors import Invalid
from core.jobs import enqueue, enqueue_at
from workspaces.models import Membership, Role
from workspaces.selectors import require_role

from . import payloads, sender, signing
from .addresses import Refused, check
from .models import Delivery, Endpoint, Event

logger = logging.getLogger(__name__)

DELIVER = "integrations.tasks.deliver"


def endpoint_create(
    *, membership: Membership, url: str, events: list[str], format: str = Endpoint.Format.JSON
) -> Endpoint:
    require_role(membership, Role.ADMIN)
    url = url.strip()
    try:
        check(url, allow_private=settings.MINA_WEBHOOKS_ALLOW_PRIVATE)
    except Refused as refused:
        raise Invalid(refused.message, fields={"url": [refused.message]}) from None
    chosen = [event for event in Event.values if event in set(events)]
    if not chosen or len(chosen) != len(set(events)):
        raise Invalid("Choose one or more events.", fields={"events": [f"One or more of {', '.join(Event.values)}."]})
    if format not in Endpoint.Format.values:
        raise Invalid("Unknown format.", fields={"format": [f"One of {', '.join(Endpoint.Format.values)}."]})
    endpoint = Endpoint.objects.create(
        workspace=membership.workspace, url=url, events=chosen, format=format, created_by=membership.user
    )
    audit.record("webhook_created", actor=membership.user, workspace=membership.workspace, target=endpoint)
    return endpoint


def endpoint_delete(*, endpoint: Endpoint, membership: Membership) -> None:
    require_role(membership, Role.ADMIN)
    audit.record("webhook_deleted", actor=membership.user, workspace=membership.workspace, target=endpoint)
    endpoint.delete()


def endpoint_enable(*, endpoint: Endpoint, membership: Membership) -> Endpoint:
    """Back on after the receiver was fixed: its failure count starts again."""
    require_role(membership, Role.ADMIN)
    endpoint.is_active, endpoint.disabled_reason, endpoint.consecutive_failures = True, "", 0
    endpoint.save(update_fields=["is_active", "disabled_reason", "consecutive_failures"])
    return endpoint


# --- Events --------------------------------------------------------------------------


def event_publish(*, workspace_id: int, event: str, message: payloads.Message) -> list[Delivery]:
    """One delivery row per active endpoint that wants the event, each queued on commit:
    the rows are the record, so a lost job is queued again from them
    (`deliveries_requeue`)."""
    endpoints = [e for e in Endpoint.objects.filter(workspace_id=workspace_id, is_active=True) if event in e.events]
    if not endpoints:
        return []
    event_id = uuid.uuid4()
    envelope = {"id": str(event_id), "type": event, "created_at": timezone.now(), "workspace": workspace_id}
    deliveries = []
    with transaction.atomic():
        for endpoint in endpoints:
            body = payloads.body(slack=endpoint.format == Endpoint.Format.SLACK, envelope=envelope, message=message)
            delivery = Delivery.objects.create(
                endpoint=endpoint, event=event, event_id=event_id, body=body, next_attempt_at=timezone.now()
            )
            enqueue(DELIVER, delivery.id, queue=settings.MINA_OUTBOUND_QUEUE)
            deliveries.append(delivery)
    return deliveries


# --- Attempts ------------------------------------------------------------------------


def delivery_attempt(*, delivery_id: int) -> int | None:
    """Make one attempt. Returns the seconds to wait before the next one, or None when
    the delivery is settled (delivered, given up, or not pending any more)."""
    delivery = Delivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != Delivery.Status.PENDING:
        return None
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        _settle(delivery, Delivery.Status.FAILED, error="The endpoint was disabled.")
        return None
    body = delivery.body.encode()
    headers = signing.headers(
        secret=endpoint.secret,
        timestamp=int(time.time()),
        body=body,
        event=delivery.event,
        event_id=str(delivery.event_id),
    )
    outcome = sender.post(
        endpoint.url,
        body=body,
        headers=headers,
        timeout_s=settings.MINA_WEBHOOK_TIMEOUT_S,
        allow_private=settings.MINA_WEBHOOKS_ALLOW_PRIVATE,
    )
    delivery.attempts += 1
    delivery.last_attempt_at = timezone.now()
    delivery.response_code, delivery.duration_ms = outcome.status_code, outcome.duration_ms
    delivery.error = outcome.error
    if outcome.ok:
        _settle(delivery, Delivery.Status.DELIVERED)
        Endpoint.objects.filter(pk=endpoint.pk, consecutive_failures__gt=0).update(consecutive_failures=0)
        return None
    if delivery.attempts >= settings.MINA_WEBHOOK_MAX_ATTEMPTS:
        _settle(delivery, Delivery.Status.FAILED)
        _count_failure(endpoint)
        return None
    wait = get_exponential_backoff_interval(
        settings.MINA_WEBHOOK_RETRY_BASE_S, delivery.attempts - 1, settings.MINA_WEBHOOK_RETRY_MAX_S
    )
    delivery.next_attempt_at = delivery.last_attempt_at + timedelta(seconds=wait)
    delivery.save(update_fields=_ATTEMPT_FIELDS)
    logger.info(
        "webhook attempt failed delivery=%s attempt=%s retry_in=%ss (%s)",
        delivery.id,
        delivery.attempts,
        wait,
        outcome.error,
    )
    return int(wait)


_ATTEMPT_FIELDS = [
    "status",
    "attempts",
    "last_attempt_at",
    "next_attempt_at",
    "response_code",
    "duration_ms",
    "error",
    "delivered_at",
]


def _settle(delivery: Delivery, status: str, *, error: str | None = None) -> None:
    delivery.status, delivery.next_attempt_at = status, None
    if error is not None:
        delivery.error = error
    if status == Delivery.Status.DELIVERED:
        delivery.delivered_at = timezone.now()
    delivery.save(update_fields=_ATTEMPT_FIELDS)
    logger.info(
        "webhook %s delivery=%s endpoint=%s attempts=%s", status, delivery.id, delivery.endpoint_id, delivery.attempts
    )


def _count_failure(endpoint: Endpoint) -> None:
    """A delivery given up: past the limit in a row, the endpoint is disabled and the
    workspace's admins are told (once: only the update that disables it sends mail)."""
    Endpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=F("consecutive_failures") + 1)
    endpoint.refresh_from_db(fields=["consecutive_failures", "is_active"])
    if endpoint.consecutive_failures < settings.MINA_WEBHOOK_DISABLE_AFTER:
        return
    reason = f"Disabled after {endpoint.consecutive_failures} deliveries in a row failed."
    if Endpoint.objects.filter(pk=endpoint.pk, is_active=True).update(is_active=False, disabled_reason=reason):
        logger.warning("webhook endpoint disabled endpoint=%s workspace=%s", endpoint.pk, endpoint.workspace_id)
        _mail_admins(endpoint, reason)


def _mail_admins(endpoint: Endpoint, reason: str) -> None:
    admins = list(
        Membership.objects.filter(workspace_id=endpoint.workspace_id, role__in=[Role.ADMIN, Role.OWNER]).values_list(
            "user__email", flat=True
        )
    )
    workspace = endpoint.workspace
    body = (
        f"Mina stopped sending webhooks to {endpoint.url} in {workspace.name}.\n\n{reason}\n"
        "Check the receiver, then turn the endpoint back on in the workspace's webhook settings; "
        "the delivery log there shows each attempt's answer.\n"
    )
    try:
        send_mail(f"[Mina] Webhook disabled in {workspace.name}", body, None, admins)
    except Exception as exc:  # the mail server away must not fail the delivery job
        logger.error("webhook disabled mail not sent endpoint=%s (%s)", endpoint.pk, type(exc).__name__)


def delivery_retry(*, delivery_id: int) -> Delivery | None:
    """A delivery that was given up, sent again from its first attempt (an operator's
    retry once the receiver is fixed); None if it had not failed."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(pk=delivery_id, status=Delivery.Status.FAILED).first()
        if delivery is None:
            return None
        delivery.status, delivery.attempts, delivery.next_attempt_at = Delivery.Status.PENDING, 0, timezone.now()
        delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
        enqueue(DELIVER, delivery.id, queue=settings.MINA_OUTBOUND_QUEUE)
    return delivery


def deliveries_requeue(*, due_before: datetime | None = None) -> int:
    """Queue pending deliveries again: those whose attempt is overdue by now (their job was
    lost: the broker was down, or a worker died with it), or, with no `due_before` (a
    worker starting), every pending one, each at its time. A delivery queued twice is
    sent at least once; receivers drop repeats by X-Mina-Delivery."""
    pending = Delivery.objects.filter(status=Delivery.Status.PENDING)
    if due_before is not None:
        pending = pending.filter(next_attempt_at__lt=due_before)
    count = 0
    for delivery_id, next_at in pending.values_list("id", "next_attempt_at"):
        enqueue_at(DELIVER, delivery_id, at=next_at, queue=settings.MINA_OUTBOUND_QUEUE)
        count += 1
    if count:
        logger.info("webhook deliveries queued again count=%s", count)
    return count
