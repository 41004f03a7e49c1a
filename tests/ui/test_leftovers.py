"""The check that fails a test leaving a thread or a timer behind finds what it should."""

import threading

from PySide6.QtCore import QThread, QTimer

from tests.ui.conftest import _active_timers, _python_threads, _running_qthreads


def test_the_leftover_check_sees_running_threads_and_active_timers(qtbot):
    baseline = {t.ident for t in threading.enumerate()}
    timer = QTimer()
    timer.start(1000)
    release = threading.Event()
    qthread = QThread()
    qthread.run = lambda: release.wait(5)
    thread = threading.Thread(target=release.wait, args=(5,), name="left-running")
    qthread.start()
    thread.start()
    try:
        assert timer in _active_timers()
        assert qthread in _running_qthreads()
        assert thread in _python_threads(baseline)
    finally:
        timer.stop()
        release.set()
        thread.join()
        qthread.wait()
    assert timer not in _active_timers() and qthread not in _running_qthreads()
    assert _python_threads(baseline) == []
