"""The report's defect map: a frame with each tile's predicted class, wrong tiles marked, as one SVG."""

from __future__ import annotations

import base64
import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from lepton_hw.errors import InputDataError
from lepton_hw.report.defect_map import class_colour, defect_map_svg
from lepton_hw.train.surface_defects import DEFAULT_CLASSES, compose_frames

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"


def _frame_and_predictions(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 330x270 frame (8 x 10 tiles of 32x32, remainder strips) with its labels and predictions that
    are wrong in a few known tiles."""
    frames, labels = compose_frames(1, 330, 270, (32, 32), seed=seed)
    predicted = labels[0].copy()
    for r, c in ((0, 0), (3, 7), (7, 9), (5, 2)):
        predicted[r, c] = (predicted[r, c] + 1 + r) % len(DEFAULT_CLASSES)
    return frames[0], predicted, labels[0]


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def _get(element: ET.Element, name: str) -> str:
    value = element.get(name)
    assert value is not None, f"<{element.tag}> has no {name}"
    return value


def _cell(element: ET.Element) -> tuple[int, int]:
    return int(_get(element, "data-row")), int(_get(element, "data-col"))


def _by_class(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}{tag}") if e.get("class") == cls]


def test_tiles_and_wrong_marks() -> None:
    frame, predicted, labels = _frame_and_predictions()
    svg = defect_map_svg(frame, predicted, DEFAULT_CLASSES, (32, 32), labels)
    root = _parse(svg)
    tiles = _by_class(root, "rect", "tile")
    assert len(tiles) == predicted.size == 80
    seen = {_cell(t): int(_get(t, "data-class")) for t in tiles}
    assert seen == {(r, c): int(k) for (r, c), k in np.ndenumerate(predicted)}  # each tile once, its class
    for t in tiles:
        k = int(_get(t, "data-class"))
        assert class_colour(k, DEFAULT_CLASSES[k]) in (t.get("fill"), t.get("stroke"))
    wrong = {_cell(g) for g in _by_class(root, "g", "wrong")}
    assert len(_by_class(root, "g", "wrong")) == len(wrong) == 4
    assert wrong == {(int(r), int(c)) for r, c in np.argwhere(predicted != labels)}
    (caption,) = _by_class(root, "text", "caption")
    assert "4 of 80 tiles wrong" in "".join(caption.itertext())
    assert len(_by_class(root, "rect", "remainder")) == 2  # 330 % 32 and 270 % 32 are not 0
    assert svg == defect_map_svg(frame, predicted, DEFAULT_CLASSES, (32, 32), labels)  # deterministic


def test_without_labels_nothing_is_marked() -> None:
    frame, predicted, _ = _frame_and_predictions(1)
    root = _parse(defect_map_svg(frame, predicted, DEFAULT_CLASSES, (32, 32)))
    assert not _by_class(root, "g", "wrong")
    (caption,) = _by_class(root, "text", "caption")
    assert "no labels" in "".join(caption.itertext())
    # all right: no marks, "0 of"
    root = _parse(defect_map_svg(frame, predicted, DEFAULT_CLASSES, (32, 32), predicted))
    assert not _by_class(root, "g", "wrong") and "0 of 80 tiles wrong" in "".join(root.itertext())


@pytest.mark.parametrize(("height", "width", "scale"), [(64, 640, 1), (24, 64, 10)])
def test_embedded_frame_is_the_frame(height: int, width: int, scale: int) -> None:
    """The frame is embedded as a PNG data URI, pixel for pixel (small frames scaled up by whole pixels)."""
    frame = np.random.default_rng(0).integers(0, 256, size=(height, width, 1), dtype=np.uint8)
    predicted = np.zeros((height // 8, width // 16), dtype=np.int64)
    root = _parse(defect_map_svg(frame, predicted, ("ok", "scratch"), (8, 16)))
    (image,) = root.iter(f"{SVG}image")
    href = _get(image, f"{XLINK}href")
    assert href.startswith("data:image/png;base64,")
    png = Image.open(io.BytesIO(base64.b64decode(href.split(",", 1)[1])))
    expected = np.kron(frame[:, :, 0], np.ones((scale, scale), dtype=np.uint8))
    assert png.mode == "L" and np.array_equal(np.asarray(png), expected)
    assert float(_get(image, "width")) == width * scale
    assert not _by_class(root, "rect", "remainder")  # the tiles cover the frame


def test_names_are_escaped_and_rgb_frames_work() -> None:
    frame = np.full((32, 64, 3), 90, dtype=np.uint8)
    svg = defect_map_svg(frame, np.array([[0, 1]]), ("ok", 'a<b & "c"'), (32, 32), np.array([[1, 1]]))
    root = _parse(svg)
    assert 'a<b & "c": 1' in "".join(root.itertext())
    assert len(_by_class(root, "g", "wrong")) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"predicted": np.zeros((8, 9), dtype=np.int64)}, r"predicted must be integer classes of shape .* \(8, 10\)"),
        ({"predicted": np.full((8, 10), 5)}, "outside 0..4"),
        ({"predicted": np.zeros((8, 10))}, "integer classes"),
        ({"labels": np.zeros((10, 8), dtype=np.int64)}, "labels must be"),
        ({"frame": np.zeros((270, 330, 2), dtype=np.uint8)}, "frame must be uint8"),
        ({"frame": np.zeros((270, 330), dtype=np.float32)}, "frame must be uint8"),
        ({"tile": (300, 32)}, "does not fit"),
    ],
)
def test_bad_inputs(change: dict, message: str) -> None:
    frame, predicted, labels = _frame_and_predictions()
    args = {"frame": frame, "predicted": predicted, "class_names": DEFAULT_CLASSES, "tile": (32, 32),
            "labels": labels, **change}  # fmt: skip
    with pytest.raises(InputDataError, match=message):
        defect_map_svg(**args)
