"""docs/operations.md's restore drill, run as written: back up the live deployment, restore
into an empty database and media folder, serve the copy, read a meeting back."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import uuid

import pytest

from tests.deploy.stack import BIN, EMAIL, PASSWORD, ROOT, admin, postgres_server
from tests.servers import free_port

pytestmark = [pytest.mark.deploy, pytest.mark.slow]


def drill_blocks() -> list[str]:
    """The drill's shell blocks: the names to set, back up and restore, serve and check."""
    text = (ROOT / "docs" / "operations.md").read_text()
    section = text.split("### Restore drill", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 3, "the drill in docs/operations.md is no longer three shell blocks"
    return blocks


def run(block: str, env: dict[str, str]) -> str:
    """One block in bash (with the tests' own virtual environment for the app's `.venv`),
    stopped with everything it started (its process group) whatever happens."""
    block = block.replace(".venv/bin/", f"{BIN}/")
    process = subprocess.Popen(["bash", "-euo", "pipefail", "-c", block], cwd=ROOT, env=env, start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = process.communicate(timeout=180)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 0, f"the drill failed:\n{out[-2000:]}\n{err[-3000:]}"
    return out


def test_the_documented_restore_drill_brings_back_a_meeting_that_plays_and_reads_the_same(
        stack, recorded, folder):
    name = f"mina_drill_{uuid.uuid4().hex[:10]}"
    env = {**stack.env, "BACKUPS": str(folder / "backups"), "DRILL_MEDIA_ROOT": str(folder / "drill-media"),
           "DRILL_DATABASE_URL": f"{postgres_server()}/{name}"}
    _, restore, check = drill_blocks()
    try:
        run(restore, env)
        out = run(serve_and_check(check, recorded), env)
    finally:
        admin(postgres_server(), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    segments, status = out.strip().splitlines()
    assert " ".join(s["text"] for s in json.loads(segments)["results"]) == recorded.transcript
    assert status == "200"


def serve_and_check(block: str, recorded) -> str:
    """The check as an operator types it: their account, the meeting's ids, a free port."""
    replacements = {
        "you@example.com": EMAIL, "YOUR-PASSWORD": PASSWORD, "8099": str(free_port()),
        "/meetings/8/": f"/meetings/{recorded.meeting_id}/", "/recordings/4/": f"/recordings/{recorded.recording_id}/",
    }
    for old, new in replacements.items():
        assert old in block, f"the drill's check no longer says {old!r}"
        block = block.replace(old, new)
    return block
