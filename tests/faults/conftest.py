"""Fault tests: real processes on loopback, killed and started again, bounded in time.

Tests of the scaled stack run on the scaled CI run (PostgreSQL; their own private Redis);
tests of `make run` run on the embedded one; the rest run on both.
"""

import os

import pytest

SCALED_RUN = os.environ.get("DATABASE_URL", "").startswith("postgres")

scaled_only = pytest.mark.skipif(
    not SCALED_RUN, reason="a scaled-stack fault: runs on the scaled run (DATABASE_URL=postgres://…)"
)
embedded_only = pytest.mark.skipif(SCALED_RUN, reason="a `make run` fault: runs on the embedded run (SQLite)")

