"""Browser tests: Playwright's sync API driving Debian's Chromium against `live_server`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("browser") is None or CHROMIUM.exists():
        return
    reason = f"browser test needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("MINA_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}; MINA_REQUIRE_BROWSER=1 makes this a failure")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="module")
def browser(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Any]:
    """Chromium for one test module.

    While Playwright's sync API runs, the test thread has a running event loop and
    Django refuses ORM calls there (seeding data, flushing the database between tests):
    DJANGO_ALLOW_ASYNC_UNSAFE is set for exactly that time. Module scope, so the loop
    is gone before any later, non-browser test module runs. The test database is
    created first, before the loop exists.
    """
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def screenshot() -> Any:
    """screenshot(page, name): a full-page PNG in test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """new_page(viewport=...) -> a page in a fresh context; console errors are collected."""
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.console_errors = []
        page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
        return page

    yield make
    for context in contexts:
        context.close()
