from __future__ import annotations

import shutil
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache

from core import ratelimit
from workspaces.models import Role

from .factories import MeetingFactory, MembershipFactory, UserFactory, WorkspaceFactory

DATA = Path(__file__).resolve().parent / "data"
SPEECH = DATA / "speech"
REAL = DATA / "real"


@pytest.fixture(autouse=True)
def _clean_media() -> Any:
    yield
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


@pytest.fixture(autouse=True)
def _clean_cache() -> Any:
    """Rate-limit counters live in the cache: each test starts with none."""
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _rate_limit_clock_stands_still(monkeypatch: Any) -> None:
    """The rate limit counts in fixed windows (core/ratelimit.py): a test that counts to a
    limit and crossed the edge of a minute would see its count start again (a scaled run
    once let a third socket of "2/min" through). The limiter's clock stands still for the
    test, so all its hits fall in one window."""
    now = time.time()
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: now))


@pytest.fixture
def workspace(db: Any) -> Any:
    return WorkspaceFactory()


@pytest.fixture
def member_of(db: Any) -> Any:
    """member_of(workspace, role) -> a new user with that role there."""

    def make(workspace: Any, role: str = Role.MEMBER, **user_fields: Any) -> Any:
        return MembershipFactory(workspace=workspace, role=role, user=UserFactory(**user_fields)).user

    return make


@pytest.fixture
def owner(workspace: Any, member_of: Any) -> Any:
    return member_of(workspace, Role.OWNER)


@pytest.fixture
def meeting(workspace: Any, owner: Any) -> Any:
    return MeetingFactory(workspace=workspace, organizer=owner)


@pytest.fixture
def outsider(db: Any) -> Any:
    """Owner of another workspace."""
    other = WorkspaceFactory()
    return MembershipFactory(workspace=other, role=Role.OWNER).user


@pytest.fixture(autouse=True)
def _fresh_channel_layer() -> Any:
    """Each test runs its sockets on its own event loop; a server has one for its life.

    channels_redis keeps per-loop state on the layer instance (its receive lock, bound to
    the loop of the first receive). A test that fails with a socket still receiving leaves
    that lock held, and every later test's sockets then die on "bound to a different event
    loop". A new instance per test keeps one test's failure its own.
    """
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _mina_celery_app_stays_current() -> Any:
    """A test that builds another Celery app must not leave it as the current app."""
    from mina.celery import app

    yield
    app.set_current()
