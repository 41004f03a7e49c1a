"""The application ends on SIGTERM (a session ending, `kill`) the way it ends when the person quits."""

import os
import signal
import subprocess
import sys
import time

START_SECONDS = 60


def test_a_termination_signal_closes_the_app_as_quitting_does(tmp_path):
    temporary, config, home = (tmp_path / name for name in ("tmp", "config", "twins"))
    for folder in (temporary, config, home):
        folder.mkdir()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TMPDIR": str(temporary),
           "XDG_CONFIG_HOME": str(config), "DESKTOP_TWIN_HOME": str(home)}
    app = subprocess.Popen([sys.executable, "-c", "import sys; from desktop_twin.cli.main import main; "
                            "sys.exit(main([]))"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + START_SECONDS
        while not list(temporary.glob("desktop-twin-drag-*")):  # made after the handlers are in place
            assert app.poll() is None, app.stderr.read()
            assert time.monotonic() < deadline, "the application did not start"
            time.sleep(0.1)
        app.send_signal(signal.SIGTERM)
        code = app.wait(START_SECONDS)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    assert code == 0, app.stderr.read()
    assert not list(temporary.glob("desktop-twin-drag-*"))  # its temporary files went with it
    assert list(config.rglob("*.ini"))  # and it saved its settings, as it does on quitting
