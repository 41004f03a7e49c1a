"""ONNX Runtime sessions for the face models."""

from pathlib import Path

import onnxruntime as ort

CPU = ["CPUExecutionProvider"]
CHECKED_PROVIDERS = ("CUDAExecutionProvider", "CPUExecutionProvider")  # the ones the app uses
ort.set_default_logger_severity(3)  # errors only: a missing GPU is reported by the app, not by log noise


def create_session(path: str | Path, threads: int = 1, providers: list | None = None) -> ort.InferenceSession:
    """A session with every graph optimisation, on `providers` (default: the CPU only).

    One intra-op thread by default: the detector and the mesh run one after the other
    with small inputs, and a second thread per session costs more in spinning than it
    saves in work.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file not found: {path}")
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), sess_options=options, providers=providers or CPU)


def usable_providers() -> list[str]:
    """The providers that really run a model here (a CUDA provider can be listed yet fail to load)."""
    from desktop_twin.resources import model_path

    usable = []
    ort.set_default_logger_severity(4)  # a provider that fails to load is the expected answer here
    for provider in [p for p in ort.get_available_providers() if p in CHECKED_PROVIDERS]:
        try:
            session = create_session(model_path("face_detector.onnx"), providers=[provider])
        except Exception:  # a provider whose libraries are missing fails in many ways
            continue
        if session.get_providers()[0] == provider:
            usable.append(provider)
    ort.set_default_logger_severity(3)
    return usable
