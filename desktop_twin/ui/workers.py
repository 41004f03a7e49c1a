"""Workers: each long job runs on a QThread and relays its progress, result or failure as signals.

A ThreadWorker runs a function on its thread; a ProcessWorker's thread runs a core job in a
child process (process_jobs) and relays what the child sends. The WorkerPool keeps every
running worker, knows which twin each works on, and cancels and waits for them all on quit.
"""

import multiprocessing
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from desktop_twin.errors import UserError
from desktop_twin.ui import process_jobs
from desktop_twin.ui.errors import ErrorRelay, ErrorReport, report_from_exception, report_from_text

POLL_SECONDS = 0.05


class Cancelled(Exception):
    """A job ended by a cancel before it had anything to say: no result, and nothing to report."""


class ChildFailure(Exception):
    """A job's process failed; its report (message and the child's traceback) is ready to show."""

    def __init__(self, report: ErrorReport):
        super().__init__(report.message)
        self.report = report


class Worker(QThread):
    progress = Signal(object)  # whatever the job reports
    result = Signal(object)  # what the job returned
    failure = Signal(object)  # ErrorReport

    def __init__(self, while_doing: str, twin: str | None = None, activity: str | None = None):
        super().__init__()
        self.while_doing = while_doing  # "training", for messages: "Error while training"
        self.twin = twin
        self.activity = activity
        self.cancel_requested = threading.Event()
        self.succeeded = False
        self.failed_report: ErrorReport | None = None

    def cancel(self) -> None:
        self.cancel_requested.set()

    def run(self) -> None:
        try:
            value = self.execute()
        except Cancelled:
            pass
        except ChildFailure as failure:
            self._fail(failure.report)
        except BaseException as error:  # every failure becomes a report; none is swallowed
            self._fail(report_from_exception(error, self.while_doing))
        else:
            self.succeeded = True
            self.result.emit(value)

    def _fail(self, report: ErrorReport) -> None:
        self.failed_report = report
        if report.expected and self.cancel_requested.is_set():
            return  # "cancelled, nothing written": what the person asked for, not an error to show
        self.failure.emit(report)

    def execute(self) -> Any:
        raise NotImplementedError


class ThreadWorker(Worker):
    """Runs job(emit, cancel) on the worker's thread."""

    def __init__(self, job: Callable[[Callable[[Any], None], threading.Event], Any], while_doing: str,
                 twin: str | None = None, activity: str | None = None):
        super().__init__(while_doing, twin, activity)
        self.job = job

    def execute(self) -> Any:
        return self.job(self.progress.emit, self.cancel_requested)


class ProcessWorker(Worker):
    """Runs process_jobs.<name>(*args) in a spawned child; cancel is passed to the job, and a job
    that has not ended cancel_grace seconds after a cancel is terminated (0 for jobs that only
    read: ending them loses nothing)."""

    def __init__(self, job: str, args: tuple, while_doing: str, twin: str | None = None,
                 activity: str | None = None, cancel_grace: float = 60.0):
        super().__init__(while_doing, twin, activity)
        self.target = f"{process_jobs.__name__}:{job}"
        self.args = args
        self.cancel_grace = cancel_grace

    def execute(self) -> Any:
        context = multiprocessing.get_context("spawn")  # never fork a process with Qt's threads
        receiver, sender = context.Pipe(duplex=False)
        cancel = context.Event()
        child = context.Process(target=process_jobs.run_in_child, args=(sender, cancel, self.target, self.args),
                                name=f"desktop-twin-{self.activity or 'job'}", daemon=True)
        child.start()
        sender.close()
        try:
            return self._relay(child, receiver, cancel)
        finally:
            receiver.close()
            if child.is_alive():
                child.terminate()
            child.join(5)
            if child.is_alive():
                child.kill()
                child.join()

    def _relay(self, child, receiver, cancel) -> Any:
        cancelled_at = None
        while True:
            if self.cancel_requested.is_set() and cancelled_at is None:
                cancel.set()
                cancelled_at = time.monotonic()
            if cancelled_at is not None and time.monotonic() - cancelled_at >= self.cancel_grace:
                if self.cancel_grace == 0:
                    raise Cancelled()
                raise UserError(f"The job did not stop within {self.cancel_grace:g} s of being cancelled "
                                "and was ended.")
            try:
                if not receiver.poll(POLL_SECONDS):
                    if not child.is_alive() and not receiver.poll(0):
                        raise self._crash(child)
                    continue
                message = receiver.recv()
            except EOFError:  # the child ended without a word: killed, or crashed
                raise self._crash(child) from None
            if message[0] == "progress":
                self.progress.emit(message[1])
            elif message[0] == "result":
                return message[1]
            else:
                _, text, trace, expected = message
                raise ChildFailure(report_from_text(self.while_doing, text, trace, expected))

    def _crash(self, child) -> ChildFailure:
        child.join(1)
        code = child.exitcode
        text = (f"the job's process ended unexpectedly (exit code {code}); the computer may have run out of "
                "memory. What was saved before (a training checkpoint, the recorded footage) is kept.")
        return ChildFailure(report_from_text(self.while_doing, text, f"exit code {code}\n", False))


WAITED_TO_THE_END = ("recording",)


class WorkerPool(QObject):
    """Every running worker; failures go to the error relay (one path for all errors)."""

    changed = Signal()  # a worker started or ended
    activity_progress = Signal(str, str, object)  # twin, activity, process_jobs.Fraction

    def __init__(self, errors: ErrorRelay):
        super().__init__()
        self.errors = errors
        self.workers: list[Worker] = []
        self.closed = False  # after shutdown nothing new starts

    def start(self, worker: Worker, describe: Callable[[Any], Any] | None = None) -> Worker:
        """Start a worker; describe(event) turns its events into a Fraction for the library and status bar.
        After shutdown the worker is not started."""
        if self.closed:
            return worker
        self.workers.append(worker)
        worker.failure.connect(self._on_failure)
        if describe is not None and worker.twin:
            worker.progress.connect(lambda event, w=worker: self._on_progress(w, describe(event)))
        worker.finished.connect(lambda w=worker: self._on_finished(w))
        worker.start()
        self.changed.emit()
        return worker

    def _on_failure(self, report: ErrorReport) -> None:
        if not self.closed:  # a job ended by quitting has nobody left to tell
            self.errors.report(report)

    def _on_progress(self, worker: Worker, fraction) -> None:
        if fraction is not None:
            self.activity_progress.emit(worker.twin, worker.activity or "", fraction)

    def _on_finished(self, worker: Worker) -> None:
        if worker in self.workers:
            self.workers.remove(worker)
            worker.deleteLater()
            self.changed.emit()

    def activity(self, twin: str) -> str | None:
        """What a twin is busy with ("training", "recording", ...), None when idle."""
        return next((w.activity for w in self.workers if w.twin == twin and w.activity and not w.isFinished()), None)

    def activities(self, twin: str) -> set[str]:
        """Everything a twin is busy with."""
        return {w.activity for w in self.workers if w.twin == twin and w.activity and not w.isFinished()}

    def busy(self) -> list[Worker]:
        return [w for w in self.workers if w.isRunning()]

    def shutdown(self, timeout_seconds: float = 60.0) -> bool:
        """Cancel every worker and wait for each; True when all ended in time. A recording is waited
        for to its end: a stopped take is turned into footage, minutes for a long one on a slow machine."""
        self.closed = True
        for worker in list(self.workers):
            worker.cancel()
        for worker in list(self.workers):
            if worker.activity in WAITED_TO_THE_END:
                worker.wait()
            else:
                worker.wait(int(timeout_seconds * 1000))
        running = [w for w in self.workers if w.isRunning()]
        for worker in list(self.workers):
            if worker not in running:  # deleting a running thread would abort the process
                self._on_finished(worker)
        return not running


def describe_fraction(event) -> process_jobs.Fraction | None:
    return event if isinstance(event, process_jobs.Fraction) else None
