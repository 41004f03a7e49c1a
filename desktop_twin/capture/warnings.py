"""Live quality warnings: what is wrong, in words the user can act on."""

from dataclasses import dataclass

HOLD_SECONDS = 1.0  # a condition must last this long before it is shown, so warnings do not flicker


@dataclass(frozen=True)
class QualityWarning:
    code: str
    message: str


NO_FACE = QualityWarning(
    "no_face", "No face found: sit facing the camera, close enough that your face fills about a third of the picture."
)
FACE_TOO_SMALL = QualityWarning("face_too_small", "Your face is small in the picture: come closer to the camera.")
FACE_CUT_OFF = QualityWarning("face_cut_off", "Your face is cut off at the edge: move to the middle of the picture.")
TOO_DARK = QualityWarning("too_dark", "The picture is too dark: add light in front of you.")
OVEREXPOSED = QualityWarning("overexposed", "The picture is too bright: dim the light or move out of direct sun.")
BLURRED = QualityWarning("blurred", "The picture is blurred: clean the lens, check the focus, hold still.")
CLIPPING = QualityWarning("clipping", "The sound is distorted (too loud): move back or lower the microphone's gain.")
TOO_QUIET = QualityWarning("too_quiet", "The sound is very quiet: speak up, come closer or raise the microphone gain.")
NOISY_ROOM = QualityWarning("noisy_room", "The room is noisy: close windows, turn off fans or move somewhere quieter.")
NO_SPEECH = QualityWarning("no_speech", "No speech heard: read the sentence aloud (is the right microphone chosen?).")


def guidance_stopped(error: BaseException) -> QualityWarning:
    return QualityWarning("guidance_stopped", f"Live guidance stopped ({type(error).__name__}: {error}); "
                                              "the recording goes on without it.")


class WarningDebouncer:
    """Shows a warning once its condition has held for HOLD_SECONDS; hides it as soon as it clears."""

    def __init__(self, hold_seconds: float = HOLD_SECONDS):
        self.hold_seconds = hold_seconds
        self._since: dict[str, float] = {}

    def update(self, active: list[QualityWarning], now: float) -> list[QualityWarning]:
        codes = {w.code for w in active}
        self._since = {code: since for code, since in self._since.items() if code in codes}
        for warning in active:
            self._since.setdefault(warning.code, now)
        return [w for w in active if now - self._since[w.code] >= self.hold_seconds]
