"""Move the X pointer and press its button through XTEST: real input events, which the X server
delivers to whichever window is under the pointer, as if a person moved the mouse.

    python -m tests.ui.x11.pointer drag X0 Y0 X1 Y1
"""

import ctypes
import ctypes.util
import sys
import time

STEPS = 40
STEP_SECONDS = 0.02


class Pointer:
    def __init__(self):
        x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
        self.xtest = ctypes.CDLL(ctypes.util.find_library("Xtst") or "libXtst.so.6")
        x11.XOpenDisplay.restype = ctypes.c_void_p
        x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x11.XFlush.argtypes = [ctypes.c_void_p]
        x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self.xtest.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                                    ctypes.c_ulong]
        self.xtest.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
        self.x11 = x11
        self.display = x11.XOpenDisplay(None)
        if not self.display:
            raise SystemExit("cannot open the X display")

    def move(self, x: int, y: int) -> None:
        self.xtest.XTestFakeMotionEvent(self.display, -1, int(x), int(y), 0)
        self.x11.XFlush(self.display)

    def button(self, pressed: bool) -> None:
        self.xtest.XTestFakeButtonEvent(self.display, 1, int(pressed), 0)
        self.x11.XFlush(self.display)

    def drag(self, start: tuple[int, int], end: tuple[int, int]) -> None:
        """Press at start, move in small steps to end (pausing over it), release: a drag and drop."""
        self.move(*start)
        time.sleep(0.2)
        self.button(True)
        time.sleep(0.2)
        for step in range(1, STEPS + 1):
            x = start[0] + (end[0] - start[0]) * step / STEPS
            y = start[1] + (end[1] - start[1]) * step / STEPS
            self.move(x, y)
            time.sleep(STEP_SECONDS)
        for wiggle in (2, -2, 0):  # rest over the target, as a hand does, so it answers the drag
            time.sleep(0.15)
            self.move(end[0] + wiggle, end[1])
        time.sleep(0.3)
        self.button(False)
        time.sleep(0.2)

    def close(self) -> None:
        self.x11.XCloseDisplay(self.display)


def main(argv: list[str]) -> int:
    if len(argv) != 5 or argv[0] != "drag":
        print(__doc__, file=sys.stderr)
        return 2
    x0, y0, x1, y1 = map(int, argv[1:])
    pointer = Pointer()
    try:
        pointer.drag((x0, y0), (x1, y1))
    finally:
        pointer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
