"""Face found per frame on every real clip, and per photo on the LFW set; prepare speed on t01.

    python tests/benchmarks/detection_rate.py

A frame counts as found when the tracker returns landmarks (detector, then mesh
presence >= 0.5). Photos run the detector and mesh once each, no tracking.
"""

import os
import time
from pathlib import Path

import cv2

from desktop_twin.capture.footage import iterate_frames
from desktop_twin.face.tracker import FaceTracker

DATA = Path(os.environ.get("DESKTOP_TWIN_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))


def clip_rate(path: Path, tracker: FaceTracker) -> tuple[int, int, float]:
    tracker.reset()
    found = total = 0
    started = time.perf_counter()
    for index, frame in enumerate(iterate_frames(path)):
        found += tracker.track(frame, index / 25.0) is not None
        total += 1
    return found, total, total / (time.perf_counter() - started)


def main() -> None:
    tracker = FaceTracker()
    clips = sorted((DATA / "talking").iterdir()) + sorted(p for p in (DATA / "driving").rglob("*.mp4"))
    worst = 1.0
    for path in clips:
        found, total, fps = clip_rate(path, tracker)
        worst = min(worst, found / total)
        print(f"{path.relative_to(DATA)}: {found}/{total} frames ({found / total:.1%}), {fps:.0f} fps")
    print(f"lowest clip detection rate: {worst:.2%}")
    photos = sorted((DATA / "photos" / "lfw_one_per_identity").rglob("*.jpg"))
    found = sum(tracker.reset() or tracker.track(cv2.imread(str(p)), 0.0) is not None for p in photos)
    print(f"photos/lfw_one_per_identity: {found}/{len(photos)} ({found / len(photos):.2%})")


if __name__ == "__main__":
    main()
