"""Server processes hand the memory they freed back to the OS (mina/memory.py)."""

import ctypes
import threading
from pathlib import Path

import pytest
from celery import signals

from mina import memory

pytestmark = pytest.mark.skipif(memory._libc is None, reason="not glibc: nothing to trim")

BLOCK = 64 * 1024  # under glibc's mmap threshold: from the heap, as a socket's or a decode's buffers are


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_freed_heap_memory_goes_back_to_the_os():
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    blocks = [libc.malloc(BLOCK) for _ in range(800)]  # 50 MB, written so it is resident
    for block in blocks:
        ctypes.memset(block, 1, BLOCK)
    pin = libc.malloc(BLOCK)  # still in use above them: free() alone cannot shrink the heap
    for block in blocks:
        libc.free(block)
    freed_but_kept = rss_mb()

    assert memory.release_free_memory()

    returned = freed_but_kept - rss_mb()
    libc.free(pin)
    assert returned > 40, f"only {returned:.1f} MB of 50 MB freed went back"


def test_one_trimming_thread_per_process_and_none_when_off():
    assert memory.start_trimming(0) is None
    first = memory.start_trimming(3600)
    assert first is not None and first.is_alive() and first.daemon
    assert memory.start_trimming(3600) is first
    assert [t for t in threading.enumerate() if t.name == "mina-memory-trim"] == [first]


def test_celery_processes_trim_too(settings, monkeypatch):
    settings.MINA_MEMORY_TRIM_S = 3600
    monkeypatch.setattr(memory, "_thread", None)  # as in a prefork child: the parent's thread is not there
    signals.worker_process_init.send(sender=None)  # what each child runs after the fork
    assert memory._thread is not None and memory._thread.is_alive()
