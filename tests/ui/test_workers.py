"""Quitting: every job is asked to stop and waited for; a recording is waited for to its end."""

import threading
import time

from desktop_twin.ui.errors import ErrorRelay
from desktop_twin.ui.workers import ThreadWorker, WorkerPool


def stubborn(seconds: float, done: list):
    """A job that finishes its work before it looks at cancel (a take being combined)."""
    def job(emit, cancel: threading.Event):
        time.sleep(seconds)
        done.append(cancel.is_set())
    return job


def test_quitting_waits_for_a_recording_to_end_and_each_job_is_waited_for(qapp):
    pool, done = WorkerPool(ErrorRelay()), []
    recording = ThreadWorker(stubborn(1.0, done), "recording", "Ann", "recording")
    exporting = ThreadWorker(stubborn(0.5, done), "exporting", "Bob", "exporting")
    for worker in (recording, exporting):
        pool.start(worker)
    assert pool.shutdown(timeout_seconds=0.1)  # beyond the timeout for the recording; the export then ended
    assert sorted(done) == [True, True] and pool.workers == []


def test_a_job_still_running_after_the_timeout_is_reported_and_not_deleted(qapp):
    pool, done = WorkerPool(ErrorRelay()), []
    slow = ThreadWorker(stubborn(1.0, done), "measuring", "Ann", "measuring")
    pool.start(slow)
    assert not pool.shutdown(timeout_seconds=0.05)
    assert pool.workers == [slow] and slow.isRunning()  # kept: deleting a running thread aborts the process
    assert slow.wait(10_000) and done == [True]
