"""Run by the disk-full test inside a private mount namespace whose small tmpfs is the
recording's disk: record until the disk is full, read back what was kept, and report."""

import json
import sys

from desktop_twin.capture.cameras import open_camera
from desktop_twin.capture.combine import combine_recording
from desktop_twin.capture.microphones import Microphone, find_microphone
from desktop_twin.capture.recorder import RecordingJob
from desktop_twin.capture.recording_reader import open_recording


def main(folder: str, camera: str, microphone: str, report: str, output: str) -> None:
    with open_camera(camera) as opened:
        result = RecordingJob(opened, Microphone(find_microphone(microphone)), folder, seconds=30).run()
    kept = open_recording(folder)
    combine_recording(folder, output)  # onto another disk: this one is full
    with open(report, "w") as f:
        json.dump({"stopped_early": result.stopped_early, "message": result.message,
                   "frames_written": result.frames, "frames_readable": len(kept.video)}, f)


if __name__ == "__main__":
    main(*sys.argv[1:6])
