"""How much of what a twin needs the footage covers so far, and whether it is enough.

Head angles and expressions are judged against the person's own resting face (the median
of everything seen so far), so a camera above or beside the screen does not count as a
head turn. Each target is what a fine-tuned twin needs to copy a webcam driver well.
"""

from dataclasses import dataclass, field

import numpy as np

from desktop_twin.capture.face_geometry import FaceMeasures

YAW_TARGET_DEGREES = 25.0  # each side
PITCH_TARGET_DEGREES = 15.0  # up and down
MOUTH_OPEN_TARGET = 0.15  # inner-lip gap over face height: a wide "ah"
SPEECH_TARGET_SECONDS = 60.0
NEUTRAL_TARGET_SECONDS = 10.0
EXPRESSIONS = ("smile", "brows_raised", "mouth_open", "lips_pursed")
EXPRESSION_HOLD_SECONDS = 0.3  # held this long to count, so one noisy frame does not
# Expression thresholds relative to the resting face, measured on real expression clips
# (a smile widens the mouth 16-26 %, surprise lifts the brows 10-17 %).
SMILE_WIDTH_RATIO = 1.15
BROWS_RAISED_RATIO = 1.10
LIPS_PURSED_RATIO = 0.80
NEUTRAL_MAX_ANGLE = 7.0
NEUTRAL_MAX_MOUTH_OPEN = 0.03
NEUTRAL_MAX_CHANGE = 0.06  # relative change of mouth width and brow height
MAX_STEP_SECONDS = 0.25  # longer gaps between observations count as this much


@dataclass(frozen=True)
class Coverage:
    yaw_range: tuple[float, float]  # degrees from the resting face, (most right, most left)
    pitch_range: tuple[float, float]  # (most down, most up)
    mouth_open_range: tuple[float, float]
    expressions_seen: tuple[str, ...]
    speech_seconds: float
    neutral_seconds: float
    parts: dict[str, float] = field(default_factory=dict)  # each need met, 0..1

    @property
    def score(self) -> float:
        """Data sufficiency, 0..1: the mean of how far each need is met."""
        return float(np.mean(list(self.parts.values()))) if self.parts else 0.0

    @property
    def enough(self) -> bool:
        return bool(self.parts) and min(self.parts.values()) >= 1.0


class CoverageMeter:
    def __init__(self):
        self._measures: list[tuple[float, float, float, float, float]] = []
        self._last_time: float | None = None
        self._expression_since: dict[str, float] = {}
        self._expressions_seen: set[str] = set()
        self.neutral_seconds = 0.0
        self.speech_seconds = 0.0

    def add_face(self, measures: FaceMeasures, time: float, speaking: bool = False) -> None:
        self._measures.append(
            (measures.yaw, measures.pitch, measures.mouth_openness, measures.mouth_width, measures.brow_height)
        )
        step = min(time - self._last_time, MAX_STEP_SECONDS) if self._last_time is not None else 0.0
        self._last_time = time
        resting = self.resting_face()
        self._note_expressions(measures, resting, time)
        if not speaking and _is_neutral(measures, resting):
            self.neutral_seconds += max(step, 0.0)

    def add_missing_face(self, time: float) -> None:
        self._last_time = time
        self._expression_since.clear()

    def set_speech_seconds(self, seconds: float) -> None:
        self.speech_seconds = seconds

    def resting_face(self) -> np.ndarray:
        """Median yaw, pitch, mouth openness, mouth width, brow height of everything seen."""
        return np.median(np.array(self._measures), axis=0)

    def coverage(self) -> Coverage:
        if not self._measures:
            return Coverage((0, 0), (0, 0), (0, 0), (), self.speech_seconds, 0.0, self._parts(None))
        values = np.array(self._measures)
        relative = values[:, :2] - self.resting_face()[:2]
        return Coverage(
            yaw_range=(float(relative[:, 0].min()), float(relative[:, 0].max())),
            pitch_range=(float(relative[:, 1].min()), float(relative[:, 1].max())),
            mouth_open_range=(float(values[:, 2].min()), float(values[:, 2].max())),
            expressions_seen=tuple(e for e in EXPRESSIONS if e in self._expressions_seen),
            speech_seconds=self.speech_seconds,
            neutral_seconds=self.neutral_seconds,
            parts=self._parts(relative, values[:, 2]),
        )

    def _parts(self, relative: np.ndarray | None, mouth: np.ndarray | None = None) -> dict[str, float]:
        def met(value, target):
            return float(min(max(value, 0.0) / target, 1.0))

        if relative is None:
            yaw = pitch = mouth_open = 0.0
        else:
            yaw = (met(relative[:, 0].max(), YAW_TARGET_DEGREES) + met(-relative[:, 0].min(), YAW_TARGET_DEGREES)) / 2
            pitch = (met(relative[:, 1].max(), PITCH_TARGET_DEGREES)
                     + met(-relative[:, 1].min(), PITCH_TARGET_DEGREES)) / 2
            mouth_open = met(mouth.max() - mouth.min(), MOUTH_OPEN_TARGET)
        return {
            "head_yaw": yaw,
            "head_pitch": pitch,
            "mouth_open": mouth_open,
            "expressions": len(self._expressions_seen) / len(EXPRESSIONS),
            "speech": met(self.speech_seconds, SPEECH_TARGET_SECONDS),
            "neutral": met(self.neutral_seconds, NEUTRAL_TARGET_SECONDS),
        }

    def _note_expressions(self, measures: FaceMeasures, resting: np.ndarray, time: float) -> None:
        showing = set(expressions_shown(measures, resting))
        for name in list(self._expression_since):
            if name not in showing:
                del self._expression_since[name]
        for name in showing:
            since = self._expression_since.setdefault(name, time)
            if time - since >= EXPRESSION_HOLD_SECONDS:
                self._expressions_seen.add(name)


def expressions_shown(measures: FaceMeasures, resting: np.ndarray) -> list[str]:
    """The expressions in this face, judged against the resting face."""
    _, _, _, rest_width, rest_brows = resting
    shown = []
    if measures.mouth_width >= rest_width * SMILE_WIDTH_RATIO:
        shown.append("smile")
    if measures.brow_height >= rest_brows * BROWS_RAISED_RATIO:
        shown.append("brows_raised")
    if measures.mouth_openness >= MOUTH_OPEN_TARGET:
        shown.append("mouth_open")
    if measures.mouth_width <= rest_width * LIPS_PURSED_RATIO:
        shown.append("lips_pursed")
    return shown


def _is_neutral(measures: FaceMeasures, resting: np.ndarray) -> bool:
    rest_yaw, rest_pitch, _, rest_width, rest_brows = resting
    return (
        abs(measures.yaw - rest_yaw) <= NEUTRAL_MAX_ANGLE
        and abs(measures.pitch - rest_pitch) <= NEUTRAL_MAX_ANGLE
        and measures.mouth_openness <= NEUTRAL_MAX_MOUTH_OPEN
        and abs(measures.mouth_width / rest_width - 1.0) <= NEUTRAL_MAX_CHANGE
        and abs(measures.brow_height / rest_brows - 1.0) <= NEUTRAL_MAX_CHANGE
    )
