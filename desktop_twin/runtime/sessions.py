"""ONNX Runtime sessions for the live path: CUDA when it really runs here, the CPU otherwise.

ONNX Runtime lists the CUDA provider whenever the onnxruntime-gpu wheel is installed, and
quietly falls back to the CPU when CUDA's libraries fail to load. So a provider counts only
when the session reports it first and a first run on it succeeds; the session always comes
with the provider it really got, for the user to see.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from desktop_twin.errors import UserError

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
PREFERENCE = (CUDA, CPU)  # the order tried when the caller names none
CHOICES = {"auto": None, "cuda": [CUDA], "cpu": [CPU]}  # what a user may ask for, by short name
MAX_THREADS = 4  # a batch-1 image model gains little from more intra-op threads


@dataclass(frozen=True)
class ProviderSession:
    session: ort.InferenceSession
    provider: str  # the provider that really runs the model

    @property
    def input_names(self) -> list[str]:
        return [i.name for i in self.session.get_inputs()]


def default_threads() -> int:
    return max(1, min(os.cpu_count() or 1, MAX_THREADS))


def listed_providers() -> list[str]:
    """The providers of PREFERENCE this ONNX Runtime build offers (which is not proof they work)."""
    available = ort.get_available_providers()
    return [p for p in PREFERENCE if p in available]


def open_session(model: bytes | str | Path, providers: list[str] | None = None,
                 threads: int | None = None) -> ProviderSession:
    """A session on the first of `providers` (default: CUDA, then CPU) that really runs the model.

    A provider the caller names that does not work here raises a UserError that says why;
    nothing is swapped for it behind the caller's back."""
    candidates = list(providers) if providers else listed_providers()
    failures = []
    for provider in candidates:
        try:
            return ProviderSession(_working_session(model, provider, threads or default_threads()), provider)
        except _ProviderFailed as failure:
            failures.append(f"{provider}: {failure}")
    if CPU in candidates:  # the CPU provider always loads: the model itself is at fault
        raise UserError("ONNX Runtime cannot run this model (" + "; ".join(failures)
                        + "). Its file may be damaged: export the twin again.")
    raise UserError("No ONNX Runtime provider could run the model here (" + "; ".join(failures)
                    + "). Without a working GPU, use the CPU provider.")


class _ProviderFailed(Exception):
    pass


# Providers whose libraries failed to load in this process, and why: a second try would fail
# the same way, after up to a second spent loading them again.
_unloadable: dict[str, str] = {}


def _working_session(model, provider: str, threads: int) -> ort.InferenceSession:
    if provider not in ort.get_available_providers():
        raise _ProviderFailed("not in this ONNX Runtime build")
    if provider in _unloadable:
        raise _ProviderFailed(_unloadable[provider])
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Idle pool threads would spin between frames, taking the CPU from the face models and the
    # camera that run in between: on two cores that slowed the whole frame by up to a half.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    source = model if isinstance(model, bytes) else str(model)
    ort.set_default_logger_severity(4)  # a provider failing to load is an answer here, not log noise
    try:
        session = ort.InferenceSession(source, sess_options=options, providers=[provider])
    except Exception as error:  # a provider whose libraries are missing fails in many ways
        raise _ProviderFailed(str(error).splitlines()[0] if str(error) else type(error).__name__) from error
    finally:
        ort.set_default_logger_severity(3)
    if session.get_providers()[0] != provider:
        _unloadable[provider] = "its libraries did not load (ONNX Runtime fell back to the CPU)"
        raise _ProviderFailed(_unloadable[provider])
    try:
        session.run(None, _zero_inputs(session))  # CUDA can load and still fail on the first run
    except Exception as error:
        raise _ProviderFailed(f"the first run failed: {str(error).splitlines()[0]}") from error
    return session


def _zero_inputs(session: ort.InferenceSession) -> dict[str, np.ndarray]:
    """Zeros of each input's shape (dynamic dimensions as 1), in its element type."""
    types = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(int64)": np.int64}
    return {i.name: np.zeros([d if isinstance(d, int) else 1 for d in i.shape], types.get(i.type, np.float32))
            for i in session.get_inputs()}
