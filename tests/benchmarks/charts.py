"""Line charts for the benchmark record, drawn with OpenCV (no plotting library to install).

A chart shows figures about footage without showing the people in it."""

from pathlib import Path

import cv2
import numpy as np

SIZE = (1200, 360)  # width, height in pixels
MARGIN = 50
GREY = (90, 90, 90)


def line_chart(path: Path, series: dict[str, tuple[np.ndarray, np.ndarray, tuple[int, int, int], int]],
               title: str, x_ticks: list[tuple[float, str]], y_ticks: list[tuple[float, str]] = ()) -> Path:
    """series: name -> (xs, ys, BGR colour, thickness); ticks: (value, label) on each axis."""
    width, height = SIZE
    image = np.full((height, width, 3), 255, np.uint8)
    xs_all = np.concatenate([s[0] for s in series.values()])
    ys_all = np.concatenate([s[1] for s in series.values()] + [np.array([v for v, _ in y_ticks], float)])
    x_low, x_high, y_low, y_high = xs_all.min(), xs_all.max(), ys_all.min(), ys_all.max()

    def to_pixels(x, y):
        px = MARGIN + (np.asarray(x, float) - x_low) / max(x_high - x_low, 1e-9) * (width - 2 * MARGIN)
        py = height - MARGIN - (np.asarray(y, float) - y_low) / max(y_high - y_low, 1e-9) * (height - 2 * MARGIN)
        return np.round(np.stack([px, py], axis=-1)).astype(np.int32)

    cv2.rectangle(image, (MARGIN, MARGIN), (width - MARGIN, height - MARGIN), (200, 200, 200), 1)
    for value, label in x_ticks:
        x, _ = to_pixels(value, y_low)
        cv2.putText(image, label, (int(x) - 8, height - MARGIN + 20), cv2.FONT_HERSHEY_SIMPLEX, 0.4, GREY, 1,
                    cv2.LINE_AA)
    for value, label in y_ticks:
        _, y = to_pixels(x_low, value)
        cv2.putText(image, label, (4, int(y) + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.4, GREY, 1, cv2.LINE_AA)
    legend_x = MARGIN + 10
    for name, (xs, ys, colour, thickness) in series.items():
        cv2.polylines(image, [to_pixels(xs, ys)], False, colour, thickness, cv2.LINE_AA)
        cv2.putText(image, name, (legend_x, MARGIN - 15), cv2.FONT_HERSHEY_SIMPLEX, 0.55, colour, 2, cv2.LINE_AA)
        legend_x += 22 + cv2.getTextSize(name, cv2.FONT_HERSHEY_SIMPLEX, 0.55, 2)[0][0]
    cv2.putText(image, title, (legend_x + 20, MARGIN - 15), cv2.FONT_HERSHEY_SIMPLEX, 0.5, GREY, 1, cv2.LINE_AA)
    cv2.imwrite(str(path), image, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    return Path(path)
