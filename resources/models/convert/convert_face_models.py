"""Convert MediaPipe's face detector and 478-point face mesh from TFLite to ONNX.

    python resources/models/convert/convert_face_models.py \
        --wheel mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl

Runs in a throwaway environment with tensorflow-cpu, tf2onnx and onnxruntime (see
README.md next to this file); the application itself never needs them.

Steps, per model: tf2onnx at opset 17; then graph surgery with `onnx.helper`:
- the attention mesh's 11 MediaPipe custom nodes (`Landmarks2TransformMatrix`,
  `TransformTensorBilinear`, `TransformLandmarks`, all version 2) become standard
  opset-17 ops that compute what MediaPipe's C++ kernels of the same names compute
  (mediapipe/util/tflite/operations/*.cc);
- PRelu becomes Relu(x) + slope * Min(x, 0): the same numbers, twice as fast in
  ONNX Runtime on CPU;
- the mesh's six landmark outputs are merged into one `landmarks` [1, 478, 3] output
  exactly as MediaPipe's LandmarksRefinementCalculator merges them
  (mediapipe/modules/face_landmark/tensors_to_face_landmarks_with_attention.pbtxt);
- inputs are renamed `image`; outputs are `regressors`, `classificators` (detector)
  and `landmarks`, `face_flag` (mesh).
Then each model is checked (onnx.checker, a load in ONNX Runtime without custom ops,
and a numerical comparison with the unmodified graph where one can run).
"""

import argparse
import hashlib
import os
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
MEDIAPIPE_VERSION = "0.10.21"
DETECTOR_TFLITE = "mediapipe/modules/face_detection/face_detection_short_range.tflite"
MESH_TFLITE = "mediapipe/modules/face_landmark/face_landmark_with_attention.tflite"
OUT_DIR = Path(__file__).resolve().parents[1]
DETECTOR_ONNX = "face_detector.onnx"
MESH_ONNX = "face_mesh_478.onnx"
LICENSE_OUT = "LICENSE-mediapipe.txt"

MESH_POINTS = 468
# The mesh model's sub-outputs in MediaPipe's refinement order, with their point counts.
REFINED_REGIONS = {"output_lips": 80, "output_left_eye": 71, "output_right_eye": 71,
                   "output_left_iris": 5, "output_right_iris": 5}
# Each eye's crop subset starts with its 16 contour points; an iris's depth is their mean.
EYE_CONTOUR_POINTS = 16


class NodeBuilder:
    """Appends nodes and constants with unique names under one prefix."""

    def __init__(self, graph: onnx.GraphProto, prefix: str):
        self.graph, self.prefix, self.nodes, self._count = graph, prefix, [], 0

    def _name(self, hint: str) -> str:
        self._count += 1
        return f"{self.prefix}/{hint}_{self._count}"

    def const(self, value, dtype=np.float32) -> str:
        name = self._name("const")
        self.graph.initializer.append(numpy_helper.from_array(np.asarray(value, dtype), name))
        return name

    def ints(self, value) -> str:
        return self.const(value, np.int64)

    def op(self, op_type: str, inputs: list[str], output: str | None = None, **attrs) -> str:
        output = output or self._name(op_type)
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=self._name(op_type), **attrs))
        return output

    def slice(self, x: str, starts, ends, axes) -> str:
        return self.op("Slice", [x, self.ints(starts), self.ints(ends), self.ints(axes)])


def attributes(node: onnx.NodeProto) -> dict:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


# --- MediaPipe custom ops as standard ops -------------------------------------------------

def landmarks_to_transform_matrix(b: NodeBuilder, node: onnx.NodeProto) -> None:
    """Landmarks2TransformMatrix v2: the 4x4 matrix mapping a crop around a landmark subset
    (rotated so the left->right rotation landmarks are level) to landmark space."""
    a = attributes(node)
    out_w, out_h = a["output_width"], a["output_height"]
    target = a["target_rotation_radians"]
    xy = b.slice(node.input[0], [0], [2], [2])                                  # [1, N, 2]
    pair = b.op("Gather", [xy, b.ints([a["left_rotation_idx"], a["right_rotation_idx"]])], axis=1)
    delta = b.op("Sub", [b.op("Gather", [pair, b.ints(1)], axis=1),
                         b.op("Gather", [pair, b.ints(0)], axis=1)])            # [1, 2]
    # rotation = target - atan2(dy, dx); ONNX has no Atan2, and only cos/sin are needed:
    # (cos, sin)(target - theta) from the unit vector (cos theta, sin theta).
    norm = b.op("Sqrt", [b.op("ReduceSum", [b.op("Mul", [delta, delta]), b.ints([1])], keepdims=1)])
    unit = b.op("Div", [delta, norm])
    cos_t, sin_t = np.cos(target), np.sin(target)
    cos_sin = b.op("MatMul", [unit, b.const([[cos_t, sin_t], [sin_t, -cos_t]])])  # [1, 2]
    # [c, s, -s] -> R(-r) = [[c, s], [-s, c]]; as a right factor it rotates row vectors by +r.
    c_s_minus_s = b.op("Concat", [cos_sin, b.op("Neg", [b.op("Gather", [cos_sin, b.ints([1])], axis=1)])], axis=1)
    rotate_back = b.op("Reshape", [b.op("Gather", [c_s_minus_s, b.ints([0, 1, 2, 0])], axis=1),
                                   b.ints([1, 2, 2])])                           # R(-r)
    rotate = b.op("Transpose", [rotate_back], perm=[0, 2, 1])                     # R(r)

    subset = b.op("Gather", [xy, b.ints(a["subset_idxs"])], axis=1)             # [1, K, 2]
    rotated = b.op("MatMul", [subset, rotate_back])                               # R(r) p, per row
    low = b.op("ReduceMin", [rotated], axes=[1], keepdims=1)                     # [1, 1, 2]
    high = b.op("ReduceMax", [rotated], axes=[1], keepdims=1)
    crop_size = b.op("Sub", [high, low])
    middle = b.op("Mul", [b.op("Add", [low, high]), b.const(0.5)])
    centre = b.op("MatMul", [middle, rotate])                                     # R(-r) m, per row

    # T(centre) * R(-r) * S(scale) * T(-out/2): linear part L = R(-r) diag(scale).
    scale = b.op("Mul", [crop_size, b.const([[[a["scale_x"] / out_w, a["scale_y"] / out_h]]])])
    linear = b.op("Mul", [rotate_back, scale])                                    # [1, 2, 2]
    half_out = b.const([[out_w / 2.0], [out_h / 2.0]])
    shift = b.op("Sub", [b.op("Transpose", [centre], perm=[0, 2, 1]), b.op("MatMul", [linear, half_out])])
    top = b.op("Concat", [linear, b.const(np.zeros((1, 2, 1))), shift], axis=2)   # [1, 2, 4]
    bottom = b.const([[[0, 0, 1, 0], [0, 0, 0, 1]]])
    b.op("Concat", [top, bottom], output=node.output[0], axis=1)                  # [1, 4, 4]


def transform_tensor_bilinear(b: NodeBuilder, node: onnx.NodeProto, input_hw: tuple[int, int]) -> None:
    """TransformTensorBilinear v2: resample an NHWC tensor through the matrix; samples whose
    source point falls outside the tensor are zero. GridSample + an in-bounds mask."""
    a = attributes(node)
    out_h, out_w = a["output_height"], a["output_width"]
    in_h, in_w = input_hw
    features, matrix = node.input
    affine = b.op("Gather", [b.slice(matrix, [0], [2], [1]), b.ints([0, 1, 3])], axis=2)  # [1, 2, 3]
    # MediaPipe's half-pixel correction M(p + 0.5) - 0.5, applied to the pixel grid.
    ys, xs = np.mgrid[0:out_h, 0:out_w]
    grid = np.stack([xs.ravel() + 0.5, ys.ravel() + 0.5, np.ones(out_h * out_w)], axis=1)
    source = b.op("Sub", [b.op("MatMul", [b.const(grid), b.op("Transpose", [affine], perm=[0, 2, 1])]),
                          b.const(0.5)])                                           # [1, P, 2] pixels
    limit = b.const([in_w - 1.0, in_h - 1.0])
    inside = b.op("And", [b.op("GreaterOrEqual", [source, b.const(0.0)]), b.op("LessOrEqual", [source, limit])])
    mask = b.op("ReduceMin", [b.op("Cast", [inside], to=TensorProto.FLOAT)], axes=[2], keepdims=0)
    mask = b.op("Reshape", [mask, b.ints([1, 1, out_h, out_w])])
    normalised = b.op("Sub", [b.op("Mul", [source, b.const([2.0 / (in_w - 1), 2.0 / (in_h - 1)])]), b.const(1.0)])
    normalised = b.op("Reshape", [normalised, b.ints([1, out_h, out_w, 2])])
    nchw = b.op("Transpose", [features], perm=[0, 3, 1, 2])
    sampled = b.op("GridSample", [nchw, normalised], mode="bilinear", padding_mode="zeros", align_corners=1)
    b.op("Transpose", [b.op("Mul", [sampled, mask])], output=node.output[0], perm=[0, 2, 3, 1])


def transform_landmarks(b: NodeBuilder, node: onnx.NodeProto, dimensions: int) -> None:
    """TransformLandmarks v2: x, y through the matrix's affine part; z (if any) unchanged."""
    landmarks, matrix = node.input
    linear_t = b.op("Transpose", [b.slice(matrix, [0, 0], [2, 2], [1, 2])], perm=[0, 2, 1])
    shift = b.op("Reshape", [b.slice(matrix, [0, 3], [2, 4], [1, 2]), b.ints([1, 1, 2])])
    if dimensions == 2:
        b.op("Add", [b.op("MatMul", [landmarks, linear_t]), shift], output=node.output[0])
        return
    xy = b.op("Add", [b.op("MatMul", [b.slice(landmarks, [0], [2], [2]), linear_t]), shift])
    b.op("Concat", [xy, b.slice(landmarks, [2], [dimensions], [2])], output=node.output[0], axis=2)


def replace_custom_ops(model: onnx.ModelProto) -> None:
    """One op type at a time, in graph order, so that each sees the shapes its inputs
    get once the ops upstream of it are standard."""
    rewrites = {
        "TFL_Landmarks2TransformMatrix": lambda b, node, shape: landmarks_to_transform_matrix(b, node),
        "TFL_TransformTensorBilinear": lambda b, node, shape: transform_tensor_bilinear(b, node, tuple(shape[1:3])),
        "TFL_TransformLandmarks": lambda b, node, shape: transform_landmarks(b, node, shape[-1]),
    }
    graph = model.graph
    for op_type, rewrite in rewrites.items():
        inferred = onnx.shape_inference.infer_shapes(model).graph.value_info
        shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in inferred}
        nodes = []
        for node in graph.node:
            if node.op_type != op_type:
                nodes.append(node)
                continue
            b = NodeBuilder(graph, node.name)
            rewrite(b, node, shapes.get(node.input[0]))
            nodes.extend(b.nodes)
        graph.ClearField("node")
        graph.node.extend(nodes)


# --- Rewrites common to both models ------------------------------------------------------

def replace_prelu(model: onnx.ModelProto) -> None:
    """PRelu(x) = Relu(x) + slope * Min(x, 0): bit-identical, and ONNX Runtime's CPU PRelu is slow."""
    graph = model.graph
    zero = "prelu/zero"
    if any(node.op_type == "PRelu" for node in graph.node):
        graph.initializer.append(numpy_helper.from_array(np.zeros((), np.float32), zero))
    nodes = []
    for node in graph.node:
        if node.op_type != "PRelu":
            nodes.append(node)
            continue
        b = NodeBuilder(graph, node.name)
        x, slope = node.input
        negative = b.op("Mul", [slope, b.op("Min", [x, zero])])
        b.op("Add", [b.op("Relu", [x]), negative], output=node.output[0])
        nodes.extend(b.nodes)
    graph.ClearField("node")
    graph.node.extend(nodes)


def rename_tensor(graph: onnx.GraphProto, old: str, new: str) -> None:
    for node in graph.node:
        node.input[:] = [new if name == old else name for name in node.input]
        node.output[:] = [new if name == old else name for name in node.output]
    for value in list(graph.input) + list(graph.output):
        if value.name == old:
            value.name = new


# --- The 478-point refinement ------------------------------------------------------------

def crop_subsets(model: onnx.ModelProto) -> dict[str, list[int]]:
    """Mesh indices of each region's crop subset, keyed by the region's output name.

    The subsets are MediaPipe's refinement index mappings for lips and eyes; a region's
    matrix feeds the TransformLandmarks node that produces its output."""
    graph = model.graph
    producer = {out: node for node in graph.node for out in node.output}
    subsets = {}
    for output in REFINED_REGIONS:
        # output <- Reshape <- TransformLandmarks(points, matrix) <- Mul(matrix, constant) <- matrix
        transform = producer[producer[output].input[0]]
        node = producer[producer[transform.input[1]].input[0]]
        assert node.op_type == "TFL_Landmarks2TransformMatrix", node.op_type
        subsets[output] = list(attributes(node)["subset_idxs"])
    return subsets


def refinement_indices(subsets: dict[str, list[int]]) -> tuple[np.ndarray, dict[str, list[int]]]:
    """For each of the 478 points, its row in [mesh; lips; left eye; right eye; irises];
    and the mesh points whose mean depth each iris gets."""
    source = np.arange(MESH_POINTS + 10)
    offset = MESH_POINTS
    for output, count in REFINED_REGIONS.items():
        if "iris" in output:
            first = MESH_POINTS if "left" in output else MESH_POINTS + 5
            source[first:first + count] = np.arange(offset, offset + count)
        else:
            assert len(subsets[output]) == count, output
            source[subsets[output]] = np.arange(offset, offset + count)
        offset += count
    depth_points = {f"output_{side}_iris": subsets[f"output_{side}_eye"][:EYE_CONTOUR_POINTS]
                    for side in ("left", "right")}
    return source, depth_points


def add_refined_landmarks(model: onnx.ModelProto, subsets: dict[str, list[int]]) -> None:
    """One `landmarks` [1, 478, 3] output (crop pixels) and one `face_flag` [1, 1] logit."""
    graph = model.graph
    b = NodeBuilder(graph, "refinement")
    source, depth_points = refinement_indices(subsets)
    mesh = b.op("Reshape", ["output_mesh_identity", b.ints([MESH_POINTS, 3])])
    mesh_z = b.slice(mesh, [2], [3], [1])
    parts = [b.slice(mesh, [0], [2], [1])]
    parts += [b.op("Reshape", [name, b.ints([count, 2])]) for name, count in REFINED_REGIONS.items()]
    xy = b.op("Gather", [b.op("Concat", parts, axis=0), b.ints(source)], axis=0)
    iris_z = [b.op("Expand", [b.op("ReduceMean", [b.op("Gather", [mesh_z, b.ints(depth_points[name])], axis=0)],
                                    axes=[0], keepdims=1), b.ints([5, 1])])
              for name in ("output_left_iris", "output_right_iris")]
    z = b.op("Concat", [mesh_z, *iris_z], axis=0)
    b.op("Reshape", [b.op("Concat", [xy, z], axis=1), b.ints([1, MESH_POINTS + 10, 3])], output="landmarks")
    b.op("Reshape", ["conv_faceflag", b.ints([1, 1])], output="face_flag")
    graph.node.extend(b.nodes)
    graph.ClearField("output")
    graph.output.extend([
        helper.make_tensor_value_info("landmarks", TensorProto.FLOAT, [1, MESH_POINTS + 10, 3]),
        helper.make_tensor_value_info("face_flag", TensorProto.FLOAT, [1, 1]),
    ])


# --- Conversion, checks ------------------------------------------------------------------

def tflite_to_onnx(tflite_path: Path) -> onnx.ModelProto:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter
    import tf2onnx  # only here: importing TensorFlow is slow

    model, _ = tf2onnx.convert.from_tflite(str(tflite_path), opset=OPSET)
    return model


def finish(model: onnx.ModelProto, description: str, source_sha256: str) -> onnx.ModelProto:
    model.graph.ClearField("value_info")  # stale after surgery; recomputed below
    model.doc_string = description
    model.metadata_props.clear()
    for key, value in {"source": f"mediapipe=={MEDIAPIPE_VERSION} (Apache-2.0)",
                       "source_tflite_sha256": source_sha256,
                       "modified": "converted from TFLite with tf2onnx; MediaPipe custom ops and PRelu "
                                   "rewritten as standard ONNX ops; see FACE_MODELS_CARD.md"}.items():
        model.metadata_props.append(onnx.StringStringEntryProto(key=key, value=value))
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.checker.check_model(model, full_check=True)
    return model


def run_onnx(model: onnx.ModelProto, feed: np.ndarray) -> list[np.ndarray]:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: feed})


def sample_input(size: int, low: float) -> np.ndarray:
    """A smooth, image-like input in [low, 1], the same on every run."""
    ys, xs = np.mgrid[0:size, 0:size] / size
    rgb = np.stack([np.sin(6 * xs + 2 * ys), np.cos(5 * ys - xs), np.sin(3 * xs * ys + 1)], axis=-1)
    return (low + (1 - low) * (rgb + 1) / 2)[None].astype(np.float32)


def convert_detector(tflite_path: Path, sha256: str) -> onnx.ModelProto:
    model = tflite_to_onnx(tflite_path)
    replace_prelu(model)
    rename_tensor(model.graph, "input", "image")
    model = finish(model, "BlazeFace short-range face detector: image [1,128,128,3] RGB in [-1,1] -> "
                   "regressors [1,896,16], classificators [1,896,1] (logits).", sha256)
    check_detector_against_tflite(model, tflite_path)
    return model


def check_detector_against_tflite(model: onnx.ModelProto, tflite_path: Path) -> None:
    import tensorflow as tf

    feed = sample_input(128, -1.0)
    interpreter = tf.lite.Interpreter(model_path=str(tflite_path))
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], feed)
    interpreter.invoke()
    expected = {d["name"]: interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()}
    got = dict(zip(["regressors", "classificators"], run_onnx(model, feed)))
    for name, value in got.items():
        print(f"  detector {name}: max |onnx - tflite| = {np.abs(value - expected[name]).max():.2e}")


def convert_mesh(tflite_path: Path, sha256: str) -> onnx.ModelProto:
    model = tflite_to_onnx(tflite_path)
    subsets = crop_subsets(model)
    replace_custom_ops(model)
    add_refined_landmarks(model, subsets)
    rename_tensor(model.graph, "input_1", "image")
    with_prelu = onnx.ModelProto()
    with_prelu.CopyFrom(model)
    replace_prelu(model)
    model = finish(model, "MediaPipe face mesh with attention: image [1,192,192,3] RGB in [0,1] -> "
                   "landmarks [1,478,3] (x, y, z in crop pixels, refined lips, eyes and irises), "
                   "face_flag [1,1] (logit).", sha256)
    feed = sample_input(192, 0.0)
    differences = [np.abs(a - b).max() for a, b in zip(run_onnx(model, feed), run_onnx(with_prelu, feed))]
    print(f"  mesh: max |Relu+Min - PRelu| = {max(differences):.2e}")
    return model


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, required=True, help=f"mediapipe-{MEDIAPIPE_VERSION} wheel")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    with zipfile.ZipFile(args.wheel) as wheel, tempfile.TemporaryDirectory() as tmp:
        licence = wheel.read(f"mediapipe-{MEDIAPIPE_VERSION}.dist-info/LICENSE")
        for member, name, convert in [(DETECTOR_TFLITE, DETECTOR_ONNX, convert_detector),
                                      (MESH_TFLITE, MESH_ONNX, convert_mesh)]:
            data = wheel.read(member)
            tflite_path = Path(tmp) / Path(member).name
            tflite_path.write_bytes(data)
            print(f"{Path(member).name}: sha256 {sha256_of(data)}")
            model = convert(tflite_path, sha256_of(data))
            onnx.save(model, args.out_dir / name)
            print(f"  -> {args.out_dir / name} ({(args.out_dir / name).stat().st_size} bytes)")
    (args.out_dir / LICENSE_OUT).write_bytes(licence)
    return 0


if __name__ == "__main__":
    sys.exit(main())
