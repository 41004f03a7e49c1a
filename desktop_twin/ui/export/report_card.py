"""The twin's report card: its measured quality beside two baselines, viewable and savable.

The figures come from training.evaluate (held-out frames the twin never trained on) or from
the quality a .twin file carries. A twin that does not beat the mean frame has learnt
nothing; one that beats the nearest training frame does better than looking frames up.
"""

import json
from pathlib import Path

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from desktop_twin.store.atomic import atomic_write_text

# metric -> (label, format, which way is better)
METRICS = {
    "psnr": ("Face PSNR (dB)", "{:.2f}", "higher"),
    "ssim": ("Face SSIM", "{:.3f}", "higher"),
    "mouth_psnr": ("Mouth PSNR (dB)", "{:.2f}", "higher"),
    "mouth_ssim": ("Mouth SSIM", "{:.3f}", "higher"),
    "identity_distance": ("Identity distance", "{:.3f}", "lower"),
    "landmark_error_px": ("Landmark error (px)", "{:.2f}", "lower"),
    "mouth_landmark_error_px": ("Mouth landmark error (px)", "{:.2f}", "lower"),
}
CANDIDATES = {"twin": "Twin", "mean_frame": "Mean frame", "nearest_landmarks": "Nearest frame"}
ARROWS = {"higher": "↑", "lower": "↓"}  # which way is better
CANDIDATE_HELP = {
    "twin": "The twin, driven by each held-out frame's own landmarks",
    "mean_frame": "The mean of the training frames: a twin that does not beat it has learnt nothing",
    "nearest_landmarks": "The training frame whose landmarks are nearest: looking frames up, not rendering",
}


def scores_from_evaluation(result: dict) -> dict:
    """training.evaluate.evaluate_twin's result in the report card's shape."""
    return {"twin": result["twin"], **result["baselines"], "frames": result["frames"],
            "image_size": result["image_size"], "step": result.get("step")}


def scores_from_twin_quality(quality: dict) -> dict | None:
    """The held-out figures a .twin manifest carries, or None when it has none."""
    held_out = quality.get("held_out")
    if not isinstance(held_out, dict) or "twin" not in held_out:
        return None
    step = (quality.get("training_held_out") or {}).get("step")
    return {**held_out, "step": step}


class ReportCard(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.scores: dict | None = None
        self.twin_name = ""
        self.source = QLabel("Not measured yet. Measure scores the twin on footage it never trained on.")
        self.source.setWordWrap(True)
        self.source.setAccessibleName("About these figures")
        self.table = QTableWidget(len(METRICS), len(CANDIDATES))
        self.table.setAccessibleName("Report card")
        self.table.setHorizontalHeaderLabels(list(CANDIDATES.values()))
        self.table.setVerticalHeaderLabels([f"{label} {ARROWS[better]}" for label, _, better in METRICS.values()])
        for row, (_, _, better) in enumerate(METRICS.values()):
            self.table.verticalHeaderItem(row).setToolTip(f"{better} is better")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        for column, key in enumerate(CANDIDATES):
            self.table.horizontalHeaderItem(column).setToolTip(CANDIDATE_HELP[key])
        layout = QVBoxLayout(self)
        layout.addWidget(self.source)
        layout.addWidget(self.table)

    def show_scores(self, twin_name: str, scores: dict | None) -> None:
        self.twin_name = twin_name
        self.scores = scores
        self.table.clearContents()
        if scores is None:
            self.source.setText("Not measured yet. Measure scores the twin on footage it never trained on.")
            return
        step = f" at step {scores['step']}" if scores.get("step") is not None else ""
        self.source.setText(f"{twin_name}{step}, on {scores['frames']} held-out frames "
                            f"({scores['image_size']} px) it never trained on, beside two baselines.")
        for row, (key, (_, number, _better)) in enumerate(METRICS.items()):
            for column, candidate in enumerate(CANDIDATES):
                value = scores.get(candidate, {}).get(key)
                self.table.setItem(row, column, QTableWidgetItem("–" if value is None else number.format(value)))

    def markdown(self) -> str:
        lines = [f"# Report card: {self.twin_name}", "", self.source.text(), "",
                 "| | " + " | ".join(CANDIDATES.values()) + " | better |",
                 "|---|" + "---:|" * len(CANDIDATES) + "---|"]
        for key, (label, number, better) in METRICS.items():
            cells = [number.format(self.scores[c][key]) if key in self.scores.get(c, {}) else "–" for c in CANDIDATES]
            lines.append(f"| {label} | " + " | ".join(cells) + f" | {better} |")
        return "\n".join(lines) + "\n"

    def save(self, path: Path) -> Path:
        """Write the report card as Markdown, or as JSON when the name ends in .json."""
        path = Path(path)
        if self.scores is None:
            raise ValueError("nothing measured yet")
        if path.suffix.lower() == ".json":
            atomic_write_text(path, json.dumps({"name": self.twin_name, **self.scores}, indent=2) + "\n")
        else:
            atomic_write_text(path, self.markdown())
        return path
