"""Faults for a test's Celery worker only: `celery worker --include tests.faults.worker_faults`.

MINA_FAULT_KILL_ON_DECODE=1: the worker kills itself (SIGKILL) when a job starts to
decode its audio, that is after the job counted its attempt; a job that always kills
its worker, as a file that crashes the decoder or exhausts memory would.
"""

import os
import signal

from transcription import audio

if os.environ.get("MINA_FAULT_KILL_ON_DECODE") == "1":

    def _die(path, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    audio.read_blocks = _die
