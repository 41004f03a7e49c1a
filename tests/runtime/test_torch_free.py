"""The live path never loads torch: a fresh interpreter reads a .twin and runs the pipeline without it."""

import json
import subprocess
import sys

from tests.conftest import REPO, shared_file
from tests.runtime.conftest import OTHER_PERSON_CLIP

LIVE_RUN = """
import json, sys
from desktop_twin.export.bundle import read_twin
from desktop_twin.runtime.pipeline import LivePipeline
with LivePipeline(read_twin(sys.argv[1]), sys.argv[2]) as pipeline:
    frame = pipeline.latest(timeout=60)
print(json.dumps({"frame": frame is not None, "torch": "torch" in sys.modules}))
"""


def test_reading_a_twin_and_running_it_live_never_imports_torch(twin_file):
    result = subprocess.run([sys.executable, "-c", LIVE_RUN, str(twin_file), str(shared_file(OTHER_PERSON_CLIP))],
                            capture_output=True, text=True, check=True, cwd=REPO, timeout=120)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"frame": True, "torch": False}
