"""The export page: Save as (making the .twin on demand), an MP4 render, the report card."""

import json

import cv2
import pytest

from desktop_twin.export.bundle import read_twin
from tests.conftest import shared_file
from tests.ui.conftest import BUNDLE_BUILD, TWIN

DRIVER = "talking/t06_woman_blue_6s.mp4"
SPEECH = "speech/librispeech_test_other/2414/2414-128291-0009.flac"  # 2.5 s


def choose(window, page="export"):
    window.library.refresh(select=TWIN)
    window.show_page(page)
    return window.export


def test_the_twin_file_is_made_on_demand_by_the_export_worker(window, trained_twin, ready_template):
    """The session's .twin (ready_template) was made by TwinBundles.ensure; here, what it reported."""
    page = choose(window)
    assert "Made when you first drag or save it" in page.file_status.text()  # not made yet for this copy
    assert page.save_button.isEnabled() and not BUNDLE_BUILD["failures"]
    fractions = [f.done for f in BUNDLE_BUILD["progress"]]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    assert any("ONNX Runtime matches torch" in f.text for f in BUNDLE_BUILD["progress"])
    print(f"making the .twin on demand took {BUNDLE_BUILD['seconds']:.1f} s")


def test_save_as_writes_a_valid_twin_file(qtbot, window, ready_twin, tmp_path):
    page = choose(window)
    assert page.file_status.text() == "Ready."
    target = tmp_path / "out" / "Suit"
    target.parent.mkdir()
    with qtbot.waitSignal(page.saved, timeout=20_000) as saved:
        page.save_as(target)
    assert saved.args == [str(target.with_suffix(".twin"))]
    bundle = read_twin(target.with_suffix(".twin"))
    assert bundle.manifest.name == TWIN and bundle.manifest.provenance.steps == 3
    assert window.context.settings.last_folder == str(target.parent)


def test_render_an_mp4_driven_by_a_video(qtbot, window, ready_twin, tmp_path):
    page = choose(window)
    page.set_driving_video(shared_file(DRIVER))
    page.side_by_side.setChecked(True)
    assert page.render_button.isEnabled()
    out = tmp_path / "suit-driven.mp4"
    progress = []
    window.context.pool.activity_progress.connect(lambda name, activity, f: progress.append(f.done))
    with qtbot.waitSignal(page.rendered, timeout=120_000) as rendered:
        page.render(out)
    assert rendered.args == [str(out)]
    assert progress and progress[-1] == pytest.approx(1.0) and progress == sorted(progress)
    video = cv2.VideoCapture(str(out))
    frames = int(video.get(cv2.CAP_PROP_FRAME_COUNT))
    video.release()
    assert frames > 100 and page.render_status.text() == f"Wrote {out}."


def test_the_report_card_shows_and_saves_the_twins_quality(qtbot, window, ready_twin, tmp_path):
    page = choose(window)
    qtbot.waitUntil(lambda: page.report.scores is not None, timeout=10_000)  # from the .twin's manifest
    scores = page.report.scores
    assert set(scores) >= {"twin", "mean_frame", "nearest_landmarks"} and scores["step"] == 3
    assert page.report.table.item(0, 0).text() == f"{scores['twin']['psnr']:.2f}"
    markdown = page.report.save(tmp_path / "card.md").read_text()
    assert "| Face PSNR (dB) |" in markdown and TWIN in markdown
    saved = json.loads(page.report.save(tmp_path / "card.json").read_text())
    assert saved["name"] == TWIN and saved["mean_frame"]["psnr"] == scores["mean_frame"]["psnr"]

    with qtbot.waitSignal(page.measured, timeout=120_000) as measured:
        page.measure()  # measured again, on the held-out frames
    assert measured.args[0]["frames"] == scores["frames"]
    assert measured.args[0]["twin"]["psnr"] == pytest.approx(scores["twin"]["psnr"], abs=1e-3)
    window.context.selection.select(TWIN)  # its card clicked again: the measures stay
    assert page.report.scores is measured.args[0] and page.report_save_button.isEnabled()


def test_render_an_mp4_of_the_twin_speaking_a_sound_file(qtbot, window, ready_twin, tmp_path):
    page = choose(window)
    page.set_driving_video(shared_file(SPEECH))
    assert page.mode.currentData() == "speech" and not page.mode.isEnabled() and not page.side_by_side.isEnabled()
    out = tmp_path / "suit-speaks.mp4"
    with qtbot.waitSignal(page.rendered, timeout=120_000) as rendered:
        page.render(out)
    assert rendered.args == [str(out)]
    video = cv2.VideoCapture(str(out))
    frames = int(video.get(cv2.CAP_PROP_FRAME_COUNT))
    video.release()
    assert frames == pytest.approx(2.535 * 25, abs=2)  # the sound's length at 25 frames per second


def test_a_render_waiting_for_the_twin_file_holds_its_place_and_can_be_cancelled(window, trained_twin, tmp_path):
    page = choose(window)
    page.set_driving_video(shared_file(DRIVER))
    page.render(tmp_path / "waiting.mp4")  # the .twin file is not made yet: the render waits for it
    assert page.render_status.text() == "Waiting for the .twin file…"
    assert not page.render_button.isEnabled() and page.render_cancel.isEnabled()
    page.render(tmp_path / "again.mp4")
    assert len(page.pending) == 1  # a second click starts no second render

    window.context.selection.select(TWIN)  # the same twin chosen again (a card clicked) keeps the queue
    assert len(page.pending) == 1

    page.render_cancel.click()
    assert page.pending == [] and page.render_status.text() == "Cancelled: no video was written."
    assert page.render_button.isEnabled() and not page.render_cancel.isEnabled()


def test_a_save_waiting_for_the_twin_file_is_carried_out_when_another_twin_is_chosen(
        qtbot, window, trained_twin, twin_file, tmp_path, monkeypatch):
    page = choose(window)
    monkeypatch.setattr(window.context.bundles, "ensure", lambda project: None)  # being made
    page.save_as(tmp_path / "kept")
    window.context.selection.select(None)  # another twin chosen (or none) while the file is made
    assert [kind for _twin, kind, _ in page.pending] == ["save"]
    with qtbot.waitSignal(page.saved, timeout=20_000) as saved:
        window.context.bundles.ready.emit(TWIN, str(twin_file))
    assert saved.args == [str(tmp_path / "kept.twin")] and read_twin(tmp_path / "kept.twin").manifest.name == TWIN
    assert page.pending == []
