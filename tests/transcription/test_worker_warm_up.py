"""The speech model is loaded where live jobs run: in each pool process, not a prefork parent."""

import threading

import pytest
from celery.concurrency.prefork import TaskPool as PreforkPool
from celery.concurrency.thread import TaskPool as ThreadPool
from celery.signals import worker_process_init, worker_ready

from transcription import tasks


class Consumer:
    """What Celery's worker_ready sends: the consumer, with the worker's pool."""

    def __init__(self, pool):
        self.pool = pool


@pytest.fixture
def warmed(monkeypatch):
    done = threading.Semaphore(0)
    calls = []

    def warm_up():
        calls.append(threading.current_thread().name)
        done.release()

    monkeypatch.setattr(tasks.transcribers, "warm_up", warm_up)
    return calls, done


def test_each_prefork_child_warms_up_in_the_background(warmed):
    calls, done = warmed
    worker_process_init.send(sender="worker@host")
    assert done.acquire(timeout=5)
    assert calls == ["mina-stt-warm"]


def test_a_prefork_parent_does_not_load_the_model(warmed):
    calls, done = warmed
    worker_ready.send(sender=Consumer(PreforkPool(limit=1)))
    assert not done.acquire(timeout=0.5)
    assert calls == []


def test_a_thread_pool_worker_warms_up_when_ready(warmed):
    calls, done = warmed
    worker_ready.send(sender=Consumer(ThreadPool(limit=1)))
    assert done.acquire(timeout=5)
    assert calls == ["mina-stt-warm"]
