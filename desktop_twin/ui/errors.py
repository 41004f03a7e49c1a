"""One path for errors: jobs, sys.excepthook and threading.excepthook all end in a report,
relayed by a signal to the main thread, where a dialog shows it with a copyable report."""

import platform
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QObject, Signal

from desktop_twin import __version__
from desktop_twin.errors import UserError


@dataclass(frozen=True)
class ErrorReport:
    title: str  # what failed, e.g. "Training stopped"
    message: str  # for a person: what happened and what to do
    details: str  # the copyable report: traceback, versions, platform
    expected: bool  # a UserError: the person can act on it; not a bug


def report_from_exception(error: BaseException, while_doing: str, trace: str | None = None) -> ErrorReport:
    """A report for an exception raised while doing something ("training", "recording")."""
    trace = trace if trace is not None else "".join(traceback.format_exception(error))
    if isinstance(error, UserError):
        return ErrorReport(f"Problem while {while_doing}", str(error), environment_report(trace), True)
    message = (f"Something went wrong while {while_doing}: {type(error).__name__}: {error}\n\n"
               "It is not something you did. Nothing you saved is lost. Copy the report below "
               "into a bug report to help fix it.")
    return ErrorReport(f"Error while {while_doing}", message, environment_report(trace), False)


def report_from_text(while_doing: str, message: str, trace: str, expected: bool) -> ErrorReport:
    """A report for an error that happened elsewhere (a job's own process), given as text."""
    if expected:
        return ErrorReport(f"Problem while {while_doing}", message, environment_report(trace), True)
    text = (f"Something went wrong while {while_doing}: {message}\n\n"
            "It is not something you did. Nothing you saved is lost. Copy the report below "
            "into a bug report to help fix it.")
    return ErrorReport(f"Error while {while_doing}", text, environment_report(trace), False)


def environment_report(trace: str) -> str:
    return (f"Desktop Twin {__version__}\nPython {platform.python_version()} on {platform.platform()}\n"
            f"PySide6 {pyside_version}\n\n{trace.rstrip()}\n")


class ErrorRelay(QObject):
    """Lives on the main thread; report() may be called from any thread."""

    reported = Signal(object)  # ErrorReport

    def report(self, report: ErrorReport) -> None:
        self.reported.emit(report)

    def report_exception(self, error: BaseException, while_doing: str) -> None:
        self.report(report_from_exception(error, while_doing))


def install_exception_hooks(relay: ErrorRelay) -> Callable[[], None]:
    """Send uncaught exceptions of any thread to the relay; returns a function that undoes it."""
    previous_sys, previous_threading = sys.excepthook, threading.excepthook

    def on_exception(kind, error, trace):
        if issubclass(kind, KeyboardInterrupt):
            previous_sys(kind, error, trace)
            return
        text = "".join(traceback.format_exception(kind, error, trace))
        print(text, file=sys.stderr, end="")
        relay.report(report_from_exception(error, "running", text))

    def on_thread_exception(args):
        if args.exc_type is SystemExit:
            return
        on_exception(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook, threading.excepthook = on_exception, on_thread_exception

    def uninstall() -> None:
        sys.excepthook, threading.excepthook = previous_sys, previous_threading

    return uninstall
