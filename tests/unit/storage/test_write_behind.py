"""The hunt store's lock with a write behind it (`soc.storage.write_behind`): whoever enters
next finds the write done, its error raised there once, and the lock usable after."""

from __future__ import annotations

import threading
import time

import pytest

from soc.storage.write_behind import WriteBehindLock


def test_entering_waits_for_the_write_behind() -> None:
    lock = WriteBehindLock()
    written: list[int] = []
    started = threading.Event()

    def write() -> None:
        started.set()
        time.sleep(0.2)
        written.append(1)

    with lock:
        lock.behind(write)
    assert started.wait(5)
    with lock:
        assert written == [1]
    lock.close()


def test_the_write_runs_on_another_thread_while_the_caller_goes_on() -> None:
    lock = WriteBehindLock()
    release = threading.Event()
    threads: list[threading.Thread] = []

    def write() -> None:
        threads.append(threading.current_thread())
        assert release.wait(5)

    with lock:
        lock.behind(write)
    release.set()  # the caller got here while the write was still waiting
    lock.settle()
    assert threads and threads[0] is not threading.current_thread()
    lock.close()


def test_a_failed_write_is_raised_once_at_the_next_entry() -> None:
    lock = WriteBehindLock()

    def write() -> None:
        raise ValueError("disk full")

    with lock:
        lock.behind(write)
    with pytest.raises(ValueError, match="disk full"), lock:
        pass
    with lock:  # raised once; the lock was released and works
        lock.behind(lambda: None)
    lock.close()


def test_writes_behind_run_one_after_another_in_order() -> None:
    lock = WriteBehindLock()
    order: list[int] = []

    def write(n: int) -> None:
        time.sleep(0.01 * (5 - n))  # the earlier ones take longer
        order.append(n)

    for n in range(5):
        with lock:
            lock.behind(lambda n=n: write(n))  # type: ignore[misc]
    lock.settle()
    assert order == [0, 1, 2, 3, 4]
    lock.close()


def test_close_raises_the_last_error_and_stops_the_thread() -> None:
    lock = WriteBehindLock()

    def write() -> None:
        raise OSError("gone")

    with lock:
        lock.behind(write)
    with pytest.raises(OSError, match="gone"):
        lock.close()
    with lock:  # nothing pending after close
        pass
