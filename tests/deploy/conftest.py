"""Production deployment tests: real processes, a real proxy, a real certificate.

They run on the scaled CI run, whose PostgreSQL server hosts their fresh database. Without
nginx (or Caddy for its test), openssl, curl or the PostgreSQL client tools they are
skipped with a reason, and MINA_REQUIRE_DEPLOY=1 (set by `.ci/run`) makes that a failure.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.register_assert_rewrite("tests.deploy.clients", "tests.deploy.scenario", "tests.deploy.stack")

from tests.deploy.scenario import Recorded, check_a_deployment  # noqa: E402
from tests.deploy.stack import Certificate, Proxy, Stack, make_certificate, nginx, production, require  # noqa: E402

SCALED_RUN = os.environ.get("DATABASE_URL", "").startswith("postgres")
TOOLS = ("nginx", "openssl", "pg_dump", "pg_restore", "createdb", "redis-server", "curl")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("deploy") is None:
        return
    if not SCALED_RUN:
        pytest.skip("a production deployment: runs on the scaled run (DATABASE_URL=postgres://…)")
    require(*TOOLS)


@pytest.fixture(scope="package")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="mina-deploy-") as path:
        Path(path).chmod(0o755)  # nginx's workers drop root and must reach their folder in it
        yield Path(path)


@pytest.fixture(scope="package")
def certificate(folder: Path) -> Certificate:
    return make_certificate(folder)


@pytest.fixture(scope="package")
def stack(folder: Path) -> Iterator[Stack]:
    with production(folder) as running:
        yield running


@pytest.fixture(scope="package")
def proxy(stack: Stack, certificate: Certificate) -> Proxy:
    return nginx(stack, certificate)[1]


@pytest.fixture(scope="package")
def recorded(proxy: Proxy, certificate: Certificate) -> Recorded:
    """A live meeting recorded through the proxy, as its users would."""
    return check_a_deployment(proxy.https, certificate.context())
