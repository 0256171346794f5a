"""Give memory a process has freed back to the operating system.

A long-running web or worker process frees most of what a meeting used (a socket's
buffers, an utterance's audio, a decode's tensors), but glibc's allocator keeps freed
pages for reuse: in the middle of its heap, and in each thread's own arena, where the
next allocation may never land. The process's memory then only grows, step by step, long
after the work is gone. `malloc_trim(0)` hands those free pages back; a thread calls it
every `MINA_MEMORY_TRIM_S` seconds in each server process. It costs a few milliseconds
and touches only memory nobody uses. Not glibc (musl, macOS): nothing to do.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time

_libc: ctypes.CDLL | None = None
try:
    _candidate = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    if hasattr(_candidate, "malloc_trim"):
        _libc = _candidate
except OSError:
    pass

_started = threading.Lock()
_thread: threading.Thread | None = None


def release_free_memory() -> bool:
    """Return the allocator's free pages to the OS; False where there is nothing to call."""
    if _libc is None:
        return False
    _libc.malloc_trim(0)
    return True


def start_trimming(every_s: float) -> threading.Thread | None:
    """Trim every `every_s` seconds in a daemon thread, once per process (0 turns it off)."""
    global _thread
    if every_s <= 0 or _libc is None:
        return None
    with _started:
        if _thread is None or not _thread.is_alive():
            def loop() -> None:
                while True:
                    time.sleep(every_s)
                    release_free_memory()

            _thread = threading.Thread(target=loop, name="mina-memory-trim", daemon=True)
            _thread.start()
        return _thread
