"""Run by the kill test as a separate process: record from a file camera and the default
microphone into a folder until killed."""

import sys

from desktop_twin.capture.cameras import open_camera
from desktop_twin.capture.microphones import Microphone, find_microphone
from desktop_twin.capture.recorder import RecordingJob


def main(folder: str, camera: str, microphone: str) -> None:
    with open_camera(camera) as opened:
        RecordingJob(opened, Microphone(find_microphone(microphone)), folder).run()


if __name__ == "__main__":
    main(*sys.argv[1:4])
