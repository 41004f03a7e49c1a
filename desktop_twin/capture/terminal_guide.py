"""Guidance for a session on a terminal: prompts, levels, coverage and warnings, as text or JSON lines."""

import json
import math
import sys
from typing import TextIO

from desktop_twin.capture.coverage import Coverage
from desktop_twin.capture.session import SessionEvent, SessionResult

STATUS_EVERY_SECONDS = 1.0
REPEAT_WARNINGS_EVERY_SECONDS = 5.0
COMBINING_STEP = 0.1  # combining a long take takes a while: its progress is shown in tenths


def _combining_step(fraction: float) -> int:
    """How many COMBINING_STEPs of the take are combined."""
    return int(fraction / COMBINING_STEP + 1e-9)


class TerminalGuide:
    """Human-readable: each prompt when it comes up, then a status line about once a second."""

    def __init__(self, out: TextIO | None = None):
        self.out = out  # None: whatever sys.stdout is when printing
        self._next_status = 0.0
        self._last_warnings: tuple[str, ...] = ()
        self._warnings_shown_at = -math.inf
        self._combining_step = -1  # none shown yet

    def __call__(self, event: SessionEvent) -> None:
        if event.phase == "combining":
            self._combining(event.fraction)
            return
        seconds = event.progress.seconds
        if event.prompt_changed:
            self._next_status = seconds
            label = "CONSENT" if event.phase == "consent" else _clock(seconds)
            text = f"\n[{label}] {event.prompt.instruction}"
            self._print(text + (f"\n        {event.prompt.text}" if event.prompt.text else ""))
        if seconds >= self._next_status:
            self._next_status = seconds + STATUS_EVERY_SECONDS
            self._status(event)

    def _combining(self, fraction: float) -> None:
        step = _combining_step(fraction)
        if step <= self._combining_step:
            return
        if self._combining_step < 0:
            self._print("\nTurning the take into one video file...")
        if step > 0:
            self._print(f"  {step * COMBINING_STEP:.0%} done")
        self._combining_step = step

    def _status(self, event: SessionEvent) -> None:
        level = event.progress.level_dbfs
        line = f"  {_clock(event.progress.seconds)}  sound {level:5.0f} dBFS" if level > -120 else \
            f"  {_clock(event.progress.seconds)}  sound  silent"
        if event.report is not None and event.phase == "take":
            line += f"  coverage {event.report.coverage.score:4.0%}"
        if event.progress.audio_overflows:
            line += f"  ({event.progress.audio_overflows} sound blocks lost: the computer is too busy)"
        self._print(line)
        warnings = tuple(w.message for w in event.report.warnings) if event.report else ()
        repeat = event.progress.seconds - self._warnings_shown_at >= REPEAT_WARNINGS_EVERY_SECONDS
        if warnings and (warnings != self._last_warnings or repeat):
            for message in warnings:
                self._print(f"  ! {message}")
            self._warnings_shown_at = event.progress.seconds
        self._last_warnings = warnings

    def finished(self, result: SessionResult) -> None:
        if result.take is not None:
            take = result.take
            self._print(f"\nRecorded {take.seconds:.1f} s: {take.frames} frames, {take.audio_seconds:.1f} s of sound, "
                        f"{take.audio_overflows} audio overflows, {take.dropped_frames} frames dropped.")
        if result.message:
            self._print(result.message)

    def _print(self, text: str) -> None:
        print(text, file=self.out or sys.stdout, flush=True)


class JsonLinesGuide:
    """One JSON object per line: prompt changes, a status about once a second, the result."""

    def __init__(self, out: TextIO | None = None):
        self.out = out  # None: whatever sys.stdout is when printing
        self._next_status = 0.0
        self._combining_step = -1

    def __call__(self, event: SessionEvent) -> None:
        if event.phase == "combining":
            step = _combining_step(event.fraction)
            if step > self._combining_step:
                self._write({"event": "combining", "fraction": round(step * COMBINING_STEP, 2)})
                self._combining_step = step
            return
        seconds = event.progress.seconds
        if event.prompt_changed:
            self._write({"event": "prompt", "phase": event.phase, "seconds": round(seconds, 3),
                         "kind": event.prompt.kind, "instruction": event.prompt.instruction,
                         "text": event.prompt.text})
            self._next_status = seconds
        if seconds >= self._next_status:
            self._next_status = seconds + STATUS_EVERY_SECONDS
            self._write(_status_record(event))

    def finished(self, result: SessionResult) -> None:
        take = result.take
        self._write({
            "event": "finished",
            "folder": str(result.folder),
            "video": str(result.video) if result.video else None,
            "consent_sha256": result.consent.sha256 if result.consent else None,
            "seconds": take.seconds if take else 0.0,
            "frames": take.frames if take else 0,
            "audio_seconds": take.audio_seconds if take else 0.0,
            "audio_overflows": take.audio_overflows if take else 0,
            "dropped_frames": take.dropped_frames if take else 0,
            "stopped_early": take.stopped_early if take else False,
            "message": result.message,
        })

    def _write(self, record: dict) -> None:
        print(json.dumps(record), file=self.out or sys.stdout, flush=True)


def _status_record(event: SessionEvent) -> dict:
    progress, report = event.progress, event.report
    record = {
        "event": "status",
        "phase": event.phase,
        "seconds": round(progress.seconds, 3),
        "frames": progress.frames,
        "level_dbfs": round(progress.level_dbfs, 1) if progress.level_dbfs > -120 else None,
        "audio_overflows": progress.audio_overflows,
        "warnings": [w.code for w in report.warnings] if report else [],
    }
    if report is not None and event.phase == "take":
        record["coverage"] = coverage_record(report.coverage)
    return record


def coverage_record(coverage: Coverage) -> dict:
    return {
        "score": round(coverage.score, 3),
        "enough": coverage.enough,
        "parts": {k: round(v, 3) for k, v in coverage.parts.items()},
        "yaw_range": [round(v, 1) for v in coverage.yaw_range],
        "pitch_range": [round(v, 1) for v in coverage.pitch_range],
        "mouth_open_range": [round(v, 3) for v in coverage.mouth_open_range],
        "expressions_seen": list(coverage.expressions_seen),
        "speech_seconds": round(coverage.speech_seconds, 1),
        "neutral_seconds": round(coverage.neutral_seconds, 1),
    }


def _clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
