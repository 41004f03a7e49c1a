"""Convert face-api's face-recognition weights (TensorFlow.js) to identity_resnet.pt.

    python resources/models/convert/convert_identity_network.py \
        --package /tmp/faceapi/package [--check-images 'photos/*.jpg']

`--package` is the unpacked `@vladmandic/face-api@1.7.15` tarball. The output is a
plain torch state_dict for `desktop_twin.training.identity.IdentityNetwork`, stored
as float16; each conv's "scale" layer (dlib's affine) is folded into the conv.
`--check-images` embeds those pictures (centre-cropped) with float32 and float16
weights and reports how far apart their pairwise distances come out.
"""

import argparse
import glob
import json
import sys
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))
from desktop_twin.training.identity import IdentityNetwork, identity_distance  # noqa: E402

MANIFEST = "model/face_recognition_model-weights_manifest.json"
DEFAULT_OUT = REPO / "resources" / "models" / "identity_resnet.pt"
# Bytes per stored element, by tfjs dtype (quantised or plain).
ITEM_DTYPES = {"uint8": np.uint8, "uint16": np.uint16, "float16": np.float16,
               "float32": np.float32, "int32": np.int32}


def read_tfjs_weights(package: Path) -> dict[str, np.ndarray]:
    """Every tensor of the manifest, dequantised to float32 as tfjs does."""
    manifest = json.loads((package / MANIFEST).read_text())
    weights = {}
    for group in manifest:
        # A group's shards are one byte stream, cut only for download size.
        data = b"".join((package / "model" / p).read_bytes() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            array, offset = _take(data, offset, spec)
            weights[spec["name"]] = array
        assert offset == len(data), f"{len(data) - offset} bytes left in {group['paths']}"
    return weights


def _take(data: bytes, offset: int, spec: dict) -> tuple[np.ndarray, int]:
    quant = spec.get("quantization")
    dtype = np.dtype(ITEM_DTYPES[quant["dtype"] if quant else spec["dtype"]]).newbyteorder("<")
    count = int(np.prod(spec["shape"]))
    raw = np.frombuffer(data, dtype, count, offset)
    if quant and quant["dtype"] in ("uint8", "uint16"):
        # tfjs io_utils: value = q * scale + min (in double, stored as float32).
        raw = raw.astype(np.float64) * quant["scale"] + quant["min"]
    array = raw.astype(np.float32).reshape(spec["shape"])
    return array, offset + count * dtype.itemsize


def _conv_layer(w: dict, prefix: str, key: str) -> dict[str, torch.Tensor]:
    """tfjs conv (HWIO) + bias + scale -> one torch conv (OIHW) with bias."""
    filters = torch.from_numpy(w[f"{prefix}/conv/filters"]).double().permute(3, 2, 0, 1)
    bias = torch.from_numpy(w[f"{prefix}/conv/bias"]).double()
    scale = torch.from_numpy(w[f"{prefix}/scale/weights"]).double()
    shift = torch.from_numpy(w[f"{prefix}/scale/biases"]).double()
    return {f"{key}.weight": filters * scale.view(-1, 1, 1, 1),
            f"{key}.bias": bias * scale + shift}


def to_state_dict(w: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """face-api names -> IdentityNetwork's float32 state_dict."""
    state = _conv_layer(w, "conv32_down", "conv32_down")
    for name in IdentityNetwork().blocks._modules:
        for conv in ("conv1", "conv2"):
            state |= _conv_layer(w, f"{name}/{conv}", f"blocks.{name}.{conv}")
    state["fc.weight"] = torch.from_numpy(w["fc"]).double().t()  # (256,128) -> (out,in)
    return {k: v.float().contiguous() for k, v in state.items()}


def network_from(state: dict[str, torch.Tensor]) -> IdentityNetwork:
    network = IdentityNetwork()
    network.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    return network.eval()


def compare_precisions(state32: dict, state16: dict, pattern: str) -> None:
    """Pairwise descriptor distances with float32 vs float16-stored weights."""
    import cv2
    paths = sorted(glob.glob(pattern))
    assert len(paths) >= 2, f"need at least two images matching {pattern}"
    images = torch.stack([_centre_chip(cv2.imread(p)) for p in paths])
    with torch.no_grad():
        d32 = _pairwise(network_from(state32).embed(images))
        d16 = _pairwise(network_from(state16).embed(images))
    print(f"{len(paths)} images: max |d32 - d16| = {(d32 - d16).abs().max():.2e}, "
          f"distances {d32[d32 > 0].min():.3f}..{d32.max():.3f}")


def _centre_chip(bgr: np.ndarray) -> torch.Tensor:
    side = min(bgr.shape[:2])
    y, x = (bgr.shape[0] - side) // 2, (bgr.shape[1] - side) // 2
    rgb = bgr[y:y + side, x:x + side, ::-1].astype(np.float32) / 255.0
    return torch.from_numpy(rgb.copy()).permute(2, 0, 1)


def _pairwise(e: torch.Tensor) -> torch.Tensor:
    return identity_distance(e[:, None], e[None, :])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--package", type=Path, required=True,
                        help="unpacked @vladmandic/face-api@1.7.15 (the folder holding model/)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check-images", help="glob of face pictures for the fp16 check")
    args = parser.parse_args()

    state32 = to_state_dict(read_tfjs_weights(args.package))
    network_from(state32)  # fails loudly on any missing or misshapen tensor
    # float16 halves the file; --check-images shows the distances do not move.
    state16 = {k: v.half() for k, v in state32.items()}
    if args.check_images:
        compare_precisions(state32, state16, args.check_images)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state16, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
