"""`desktop-twin bench`: median milliseconds per stage and frames per second, with the machine and provider."""

import argparse
import json

from desktop_twin.cli import bench_command

STAGE_LINES = ("face detector", "face landmarks", "renderer @128 px", "face tracking", "retarget + sketch",
               "composite", "whole frame", "frames per second")


def run_cli(argv: list[str], capsys) -> str:
    parser = argparse.ArgumentParser()
    bench_command.add_parsers(parser.add_subparsers())
    args = parser.parse_args(argv)
    assert args.run(args) == 0
    return capsys.readouterr().out


def test_a_twin_is_benched_stage_by_stage(twin_file, capsys):
    report = run_cli(["bench", str(twin_file), "--runs", "3"], capsys)
    assert report.startswith("Machine: ") and "logical cores" in report and "ONNX Runtime" in report
    assert "CPUExecutionProvider" in report
    for line in STAGE_LINES:
        assert line in report, line


def test_json_holds_every_figure_per_provider(twin_file, capsys):
    result = json.loads(run_cli(["bench", str(twin_file), "--runs", "2", "--json"], capsys))
    assert result["twin"] == {"name": "suit", "renderer_size": 128}
    assert result["machine"]["logical_cores"] >= 1 and result["machine"]["cpu"]
    cpu = next(r for r in result["results"] if r["provider"] == "CPUExecutionProvider")
    assert cpu["detector_ms"] > 0 and cpu["landmarks_ms"] > 0 and cpu["renderer_ms"]["128"] > 0
    assert set(cpu["pipeline_stages_ms"]) == {"face", "retarget_sketch", "renderer", "composite", "total"}
    assert cpu["pipeline_fps"] == 1000.0 / cpu["pipeline_ms"]


def test_without_a_twin_only_the_face_models_are_benched(capsys):
    report = run_cli(["bench", "--runs", "2"], capsys)
    assert "face models only" in report and "face detector" in report
    assert "renderer" not in report


def test_a_video_whose_frames_do_not_decode_is_refused_plainly(tmp_path, capsys):
    import numpy as np
    import pytest

    from desktop_twin.errors import UserError
    from desktop_twin.runtime.mp4_writer import Mp4Writer

    whole, cut = tmp_path / "whole.mp4", tmp_path / "cut.mp4"
    writer = Mp4Writer(whole, 25, 64, 64)
    for shade in range(10):
        writer.write(np.full((64, 64, 3), shade * 20, np.uint8))
    writer.close()
    data = whole.read_bytes()
    cut.write_bytes(data[:data.index(b"mdat") + 4])  # its index whole, its pictures gone: it opens, nothing decodes
    parser = argparse.ArgumentParser()
    bench_command.add_parsers(parser.add_subparsers())
    args = parser.parse_args(["bench", "--drive", str(cut)])
    with pytest.raises(UserError, match="no picture that decodes"):
        args.run(args)
