"""Agreement of the torch identity network with dlib's own face descriptors.

Two steps, because dlib and torch live in different virtual environments.

1. In a throwaway venv with dlib:
       python3 -m venv /work/dlibvenv
       /work/dlibvenv/bin/pip install dlib-bin==20.0.1.post1 face-recognition-models==0.3.0 \
           numpy opencv-python-headless
       /work/dlibvenv/bin/python tests/benchmarks/identity_vs_dlib.py dlib
   detects faces (dlib HOG), aligns them with the 5-point predictor into dlib's
   150x150 chips (padding 0.25, the chips `compute_face_descriptor` uses), and writes
   the chips, a 300x300 chip of the same geometry, dlib's descriptors and the
   68-point landmarks in chip coordinates to /tmp/identity_vs_dlib.npz.
2. In the project venv:
       .venv/bin/python tests/benchmarks/identity_vs_dlib.py compare
   embeds the SAME chips with `IdentityNetwork` and prints the agreement.

Faces: 3 frames each of 4 people from talking/ and 15 LFW photos, read in place from
$DESKTOP_TWIN_SHARED_DATA (default <repo>/../shared/data).
"""

import argparse
import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("DESKTOP_TWIN_SHARED_DATA", REPO.parent / "shared" / "data"))
NPZ = Path("/tmp/identity_vs_dlib.npz")
CLIPS = ("t01_news_correspondent_71s", "t02_politician_60s_256px",
         "t03_young_man_portrait_20s", "t04_bearded_man_portrait_20s")
FRAME_FRACTIONS = (0.1, 0.5, 0.9)
LFW_PHOTOS = 15


# ---- step 1: dlib -------------------------------------------------------------

def faces():
    """(label, RGB uint8 image) pairs: video frames, then LFW photos."""
    import cv2
    for clip in CLIPS:
        video = cv2.VideoCapture(str(DATA / "talking" / f"{clip}.mp4"))
        count = int(video.get(cv2.CAP_PROP_FRAME_COUNT))
        for fraction in FRAME_FRACTIONS:
            video.set(cv2.CAP_PROP_POS_FRAMES, int(fraction * count))
            ok, bgr = video.read()
            assert ok, f"cannot read {clip} at {fraction:.0%}"
            yield clip, np.ascontiguousarray(bgr[:, :, ::-1])
    for path in sorted((DATA / "photos" / "lfw_one_per_identity").glob("*.jpg"))[:LFW_PHOTOS]:
        yield path.stem, np.ascontiguousarray(cv2.imread(str(path))[:, :, ::-1])


def chip_transform(details) -> np.ndarray:
    """2x3 affine from image to chip pixels: dlib's get_mapping_to_chip."""
    rect, angle = details.rect, details.angle
    centre = np.array([(rect.left() + rect.right()) / 2, (rect.top() + rect.bottom()) / 2])
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    corners = np.array([[rect.left(), rect.top()], [rect.right(), rect.top()],
                        [rect.right(), rect.bottom()]])
    source = (corners - centre) @ rotation.T + centre
    target = np.array([[0, 0], [details.cols - 1, 0], [details.cols - 1, details.rows - 1]])
    return np.linalg.solve(np.c_[source, np.ones(3)], target).T


def dlib_step() -> None:
    import dlib
    import face_recognition_models as models
    detector = dlib.get_frontal_face_detector()
    five = dlib.shape_predictor(models.pose_predictor_five_point_model_location())
    sixty_eight = dlib.shape_predictor(models.pose_predictor_model_location())
    recogniser = dlib.face_recognition_model_v1(models.face_recognition_model_location())
    rows = []
    for label, image in faces():
        boxes = detector(image, 1)
        if not boxes:
            print(f"no face in {label}, skipped")
            continue
        box = max(boxes, key=lambda b: b.area())
        shape = five(image, box)
        chip = dlib.get_face_chip(image, shape, size=150, padding=0.25)
        affine = chip_transform(dlib.get_face_chip_details(shape, 150, 0.25))
        points = np.array([(p.x, p.y) for p in sixty_eight(image, box).parts()], float)
        rows.append(dict(
            label=label, chip=chip,
            chip300=dlib.get_face_chip(image, shape, size=300, padding=0.25),
            descriptor=np.array(recogniser.compute_face_descriptor(chip)),
            landmarks=(points @ affine[:, :2].T + affine[:, 2]) / 150))
    np.savez_compressed(NPZ, **{k: np.stack([r[k] for r in rows]) for k in rows[0]})
    print(f"{len(rows)} faces -> {NPZ}")


# ---- step 2: ours -------------------------------------------------------------

def embed(network, chips: np.ndarray, pixel_scale: float | None = None) -> np.ndarray:
    import torch
    images = torch.from_numpy(chips).permute(0, 3, 1, 2).float() / 255.0
    with torch.no_grad():
        if pixel_scale is None:
            return network.embed(images).numpy()
        return network((images * 255.0 - network.mean_rgb) / pixel_scale).numpy()


def upper(matrix: np.ndarray) -> np.ndarray:
    return matrix[np.triu_indices(len(matrix), 1)]


def pairwise(e: np.ndarray) -> np.ndarray:
    return upper(np.linalg.norm(e[:, None] - e[None, :], axis=-1))


def agreement(name: str, ours: np.ndarray, theirs: np.ndarray) -> None:
    a, b = pairwise(ours), pairwise(theirs)
    print(f"{name:<34} r = {np.corrcoef(a, b)[0, 1]:.5f}   max |d - d_dlib| = "
          f"{np.abs(a - b).max():.4f}   max |e - e_dlib| = "
          f"{np.linalg.norm(ours - theirs, axis=1).max():.4f}")


def ranges(name: str, descriptors: np.ndarray, labels: np.ndarray) -> None:
    same = upper(labels[:, None] == labels[None, :])
    d = pairwise(descriptors)
    print(f"{name:<6} same person {d[same].min():.3f}..{d[same].max():.3f}   "
          f"different people {d[~same].min():.3f}..{d[~same].max():.3f}")


def chip_template(landmarks: np.ndarray) -> None:
    """Where dlib's chip puts the face: 68-point landmarks in chip units (0..1)."""
    points = {"right eye (image left)": landmarks[:, 36:42].mean(1),
              "left eye (image right)": landmarks[:, 42:48].mean(1),
              "nose tip": landmarks[:, 30], "mouth centre": landmarks[:, [48, 54]].mean(1)}
    for name, p in points.items():
        print(f"  {name:<24} x {p[:, 0].mean():.3f} ± {p[:, 0].std():.3f}   "
              f"y {p[:, 1].mean():.3f} ± {p[:, 1].std():.3f}")


def misalignment(network, chips300: np.ndarray, theirs: np.ndarray) -> None:
    """How far descriptors move when the chip is scaled or shifted: the precision a
    sub-crop of another alignment must reach to give dlib-like descriptors."""
    import torch
    import torch.nn.functional as F
    images = torch.from_numpy(chips300).permute(0, 3, 1, 2).float() / 255.0
    for zoom, dx, dy in ((0.95, 0, 0), (1.05, 0, 0), (1, 0.02, 0), (1, 0, 0.02), (1, 0.04, 0)):
        # affine_grid works in [-1,1]: a shift of 2*dx is dx of the chip's side.
        theta = torch.tensor([[zoom, 0, 2 * dx], [0, zoom, 2 * dy]]).expand(len(images), 2, 3)
        grid = F.affine_grid(theta, [len(images), 3, 150, 150], align_corners=False)
        moved = F.grid_sample(images, grid, padding_mode="border", align_corners=False)
        with torch.no_grad():
            gap = np.linalg.norm(network.embed(moved).numpy() - theirs, axis=1)
        print(f"  side x{zoom:<4} shift ({dx:.2f}, {dy:.2f}) of side: "
              f"|e - e_dlib| mean {gap.mean():.3f} max {gap.max():.3f}")


def compare_step() -> None:
    sys.path.insert(0, str(REPO))
    from desktop_twin.training.identity import load_identity_network
    data = np.load(NPZ)
    labels, theirs = data["label"], data["descriptor"]
    network = load_identity_network()
    ours = embed(network, data["chip"])
    print(f"{len(labels)} faces, {len(set(labels))} people, {len(pairwise(ours))} pairs")
    agreement("150 chips (the network's input)", ours, theirs)
    agreement("300 chips resized inside embed", embed(network, data["chip300"]), theirs)
    agreement("150 chips, /255 as face-api", embed(network, data["chip"], 255.0), theirs)
    ranges("dlib", theirs, labels)
    ranges("ours", ours, labels)
    print("dlib chip layout (150x150, padding 0.25), 68-point landmarks in chip units:")
    chip_template(data["landmarks"])
    print("misaligned chips (cut from the 300 chips):")
    misalignment(network, data["chip300"], theirs)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="torch identity network vs dlib")
    parser.add_argument("step", choices=("dlib", "compare"))
    {"dlib": dlib_step, "compare": compare_step}[parser.parse_args().step]()
