#!/usr/bin/env bash
# One GPU session for the twin model (issue 3), run on the GPU machine from the repository's root:
#   tests/benchmarks/device_twin_model.sh CARRY OUT PRETRAIN_MINUTES STEPS EVERY [DEADLINE_SECONDS [STARTS]]
# (STARTS: base,scratch by default; base alone when only the base changed; or runs of given
# lengths, each scored at its end: base@1000,scratch@5000 (base@1000:3e-3: at that peak learning
# rate); those before an item `pretrain`
# start from the bundled base, before pretraining continues it: base@1000,pretrain,base@1000)
# (DEVICE_SCRIPT=tests/benchmarks/device_oom.py runs that script with the same set-up instead)
# CARRY holds: pack.npz (a pretraining pack from training/pack_builder.py with talking/t01
# excluded; a subset of its crops, to fit the transfer limit: see RESULTS.md; only when
# pretraining), t01.mp4 and t01_manifest.json (the footage and its project manifest), and wheels/
# (cp312 wheels of what that machine lacks: pydantic with pydantic-core, annotated-types and
# typing-inspection; platformdirs; webrtcvad-wheels). It has no PyAV either: a stand-in shows
# every file without a sound track, which the renderer never needed. The run replaces the
# bundled base in the tree it runs in: run it only in a throwaway copy, as the GPU machine's is.
set -euo pipefail
carry=$1; out=$2
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site "$carry"/wheels/*.whl
mkdir -p /tmp/shim/av
cat > /tmp/shim/av/__init__.py <<'PY'
class FFmpegError(Exception):
    pass


class _Silent:  # a container with no audio stream
    class streams:
        audio = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def open(*args, **kwargs):
    return _Silent()
PY
export PYTHONPATH="$PWD:/tmp/site:/tmp/shim" PYTHONUNBUFFERED=1 DESKTOP_TWIN_HOME=/tmp/twins
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/gpu.txt"
python3 "${DEVICE_SCRIPT:-tests/benchmarks/device_twin_model.py}" "$@"
