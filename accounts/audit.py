"""The audit log: one call, `record`, from services and views.

The request's address is taken from a context variable that `AuditMiddleware` sets, so
services need not pass requests around.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from core.ratelimit import client_address

from .models import AuditEvent

logger = logging.getLogger(__name__)
_client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("mina_client_ip", default=None)


def client_ip(request: HttpRequest) -> str | None:
    return client_address(request) or None


class AuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _client_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            _client_ip.reset(token)


def record(action: str, *, actor: Any = None, workspace: Any = None, target: Any = None, **details: Any) -> None:
    """Write one audit event. `target` is a model instance or a short string."""
    if target is not None and not isinstance(target, str):
        target = f"{target._meta.model_name}:{target.pk}"
    AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        workspace=workspace,
        target=target or "",
        ip=_client_ip.get(),
        details=details,
    )
    logger.info("audit action=%s actor=%s target=%s", action, getattr(actor, "pk", None), target)


@receiver(user_login_failed)
def _sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    email = credentials.get("email") or credentials.get("username") or ""
    token = _client_ip.set(client_ip(request)) if request is not None else None
    try:
        record("sign_in_failed", target=f"email:{str(email)[:150]}")
    finally:
        if token is not None:
            _client_ip.reset(token)


def purge_expired() -> int:
    cutoff = timezone.now() - timedelta(days=settings.MINA_AUDIT_RETENTION_DAYS)
    deleted, _ = AuditEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted
