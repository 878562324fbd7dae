"""A whole camera frame with the class of each of its tiles: one self-contained SVG for the report.

The core classifies every non-overlapping tile of a frame (raster order); :func:`defect_map_svg`
draws the frame (an embedded PNG) with each tile outlined and tinted in its predicted class's
colour, a legend, and, when the true tile labels are known, a red X on every wrong tile.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np

from lepton_hw.errors import InputDataError
from lepton_hw.report.html import _e, _png_uri

__all__ = ["class_colour", "defect_map_svg"]

# Colour-blind-safe hues (Okabe-Ito, then Tableau) for the classes, in class order; none is red,
# which marks wrong tiles.  A class named "ok" is the plain surface: outlined only, not tinted.
_PALETTE = (
    "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#CC79A7",
    "#8C564B", "#17BECF", "#BCBD22", "#7F7F7F", "#9467BD", "#AEC7E8",
)  # fmt: skip
_OK_COLOUR = "#FFFFFF"
_WRONG_COLOUR = "#E00000"
_FONT = 13  # legend and caption, in display pixels
_ROW = 20  # height of a legend row
_MIN_WIDTH = 480  # the legend and caption need room even under a small frame
_DISPLAY_WIDTH = 640  # small frames are scaled up (by whole pixels) to about this width


def class_colour(index: int, name: str) -> str:
    """The colour of class ``index`` (named ``name``) on the defect map."""
    if name == "ok":
        return _OK_COLOUR
    if index < len(_PALETTE):
        return _PALETTE[index]
    hue = (index * 137.508) % 360  # the golden angle: further classes stay apart
    return f"hsl({hue:.1f},65%,50%)"


def _frame_png(frame: np.ndarray, scale: int) -> bytes:
    """The frame as PNG, scaled up by whole pixels (as in the report's sample frames: every viewer
    shows them sharp, whatever it does with image-rendering)."""
    from PIL import Image

    image = Image.fromarray(frame[:, :, 0], mode="L") if frame.shape[2] == 1 else Image.fromarray(frame, mode="RGB")
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _check_frame(frame: np.ndarray, tile: tuple[int, int]) -> tuple[np.ndarray, int, int]:
    """The frame as (H, W, C) and the tile's height and width."""
    frame = np.asarray(frame)
    if frame.ndim == 2:
        frame = frame[:, :, None]
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] not in (1, 3):
        raise InputDataError(
            f"defect map: the frame must be uint8 (H, W), (H, W, 1) or (H, W, 3), got {frame.dtype} {frame.shape}"
        )
    try:
        th, tw = (int(v) for v in tile)
    except (TypeError, ValueError):
        raise InputDataError(f"defect map: tile must be (height, width), got {tile!r}") from None
    height, width = frame.shape[:2]
    if not (1 <= th <= height and 1 <= tw <= width):
        raise InputDataError(f"defect map: tile {th}x{tw} does not fit in the {height}x{width} frame")
    return frame, th, tw


def _check_classes(what: str, values: np.ndarray, frame: np.ndarray, th: int, tw: int, n_classes: int) -> np.ndarray:
    """A map of class indices, one per tile of the frame, as int64."""
    height, width = frame.shape[:2]
    expected = (height // th, width // tw)
    values = np.asarray(values)
    if values.shape != expected or values.dtype.kind not in "iu":
        raise InputDataError(
            f"defect map: {what} must be integer classes of shape (tile rows, tile columns) = {expected} for a "
            f"{height}x{width} frame of {th}x{tw} tiles, got {values.dtype} {values.shape}"
        )
    if values.size and (values.min() < 0 or values.max() >= n_classes):
        raise InputDataError(f"defect map: {what} holds classes outside 0..{n_classes - 1}")
    return values.astype(np.int64)


def defect_map_svg(
    frame: np.ndarray,
    predicted: np.ndarray,
    class_names: Sequence[str],
    tile: tuple[int, int],
    labels: np.ndarray | None = None,
) -> str:
    """A self-contained SVG of ``frame`` (uint8 (H, W, C), C = 1 or 3) with each ``tile`` = (height,
    width) tile outlined and tinted by its class in ``predicted`` (TR, TC) = (H // height, W // width),
    a legend with the tiles per class, and, given the true ``labels`` (TR, TC), a red X and border on
    every tile where the prediction differs, counted in the caption.  The strips right and below
    the last whole tile are not classified and are shaded.  Same inputs, same string.

    Elements a reader (or a test) can find: ``rect.tile`` (one per tile, ``data-row``, ``data-col``,
    ``data-class``), ``g.wrong`` (one per wrong tile, ``data-row``, ``data-col``), ``text.caption``.
    Raises InputDataError for arrays of the wrong shape, dtype or class range.
    """
    names = [str(name) for name in class_names]
    if not names:
        raise InputDataError("defect map: no class names")
    frame, th, tw = _check_frame(frame, tile)
    predicted = _check_classes("predicted", predicted, frame, th, tw, len(names))
    if labels is not None:
        labels = _check_classes("labels", labels, frame, th, tw, len(names))
    height, width = frame.shape[:2]
    rows, cols = predicted.shape
    s = max(1, round(_DISPLAY_WIDTH / width))  # display pixels per frame pixel
    fw, fh = width * s, height * s
    total = rows * cols
    wrong = np.zeros_like(predicted, dtype=bool) if labels is None else predicted != labels
    n_wrong = int(wrong.sum())

    parts = [
        f'<image x="0" y="0" width="{fw}" height="{fh}" preserveAspectRatio="none" '
        f'style="image-rendering:pixelated" xlink:href="{_png_uri(_frame_png(frame, s))}"/>'
    ]
    if rows * th < height or cols * tw < width:  # the remainder strips: not classified
        shade = 'fill="#000000" fill-opacity="0.45"'
        if cols * tw < width:
            x, w = cols * tw * s, (width - cols * tw) * s
            parts.append(f'<rect class="remainder" x="{x}" y="0" width="{w}" height="{fh}" {shade}/>')
        if rows * th < height:
            y, h = rows * th * s, (height - rows * th) * s
            parts.append(f'<rect class="remainder" x="0" y="{y}" width="{cols * tw * s}" height="{h}" {shade}/>')
    colours = [class_colour(k, name) for k, name in enumerate(names)]
    for (r, c), k in np.ndenumerate(predicted):
        x, y = c * tw * s, r * th * s
        if names[k] == "ok":
            style = f'fill="none" stroke="{colours[k]}" stroke-opacity="0.35" stroke-width="1"'
        else:
            style = f'fill="{colours[k]}" fill-opacity="0.3" stroke="{colours[k]}" stroke-width="1.5"'
        parts.append(
            f'<rect class="tile" data-row="{r}" data-col="{c}" data-class="{k}" x="{x + 0.5}" y="{y + 0.5}" '
            f'width="{tw * s - 1}" height="{th * s - 1}" {style}><title>tile ({r}, {c}): {_e(names[k])}'
            + ("" if labels is None else f" (true: {_e(names[int(labels[r, c])])})")
            + "</title></rect>"
        )
    # A wrong tile: a thick red border and a small X in its top right corner, leaving the tile visible.
    mark = max(4, min(tw, th) * s // 4)
    for r, c in np.argwhere(wrong):
        x0, y0 = c * tw * s + 1.5, r * th * s + 1.5
        x1 = x0 + tw * s - 3
        parts.append(
            f'<g class="wrong" data-row="{r}" data-col="{c}" stroke="{_WRONG_COLOUR}" fill="none">'
            f'<rect x="{x0}" y="{y0}" width="{tw * s - 3}" height="{th * s - 3}" stroke-width="2.5"/>'
            f'<path d="M{x1 - mark},{y0}l{mark},{mark}m0,{-mark}l{-mark},{mark}" stroke-width="2"/></g>'
        )

    # Legend: a swatch and the tiles predicted per class, wrapped into rows under the frame.
    total_width = max(fw, _MIN_WIDTH)
    counts = np.bincount(predicted.ravel(), minlength=len(names))
    entries = [
        (
            'fill="#F4F4F4" stroke="#888888"' if name == "ok" else f'fill="{colours[k]}" stroke="{colours[k]}"',
            f"{name}: {int(counts[k])}",
        )
        for k, name in enumerate(names)
    ]
    if labels is not None:
        entries.append((f'fill="none" stroke="{_WRONG_COLOUR}" stroke-width="2"', f"wrong: {n_wrong}"))
    legend, x, y = [], 0, fh + 8
    for swatch, text in entries:
        step = 20 + int(0.62 * _FONT * len(text)) + 14  # swatch, text (about 0.62 em a character), gap
        if x and x + step > total_width:
            x, y = 0, y + _ROW
        legend.append(
            f'<rect class="swatch" x="{x + 1}" y="{y + 2}" width="14" height="14" {swatch}/>'
            f'<text x="{x + 20}" y="{y + 14}">{_e(text)}</text>'
        )
        x += step
    caption_y = y + _ROW + 14
    lines = [
        f"{rows}x{cols} = {total} tiles of {th}x{tw} pixels, coloured by predicted class",
        "no labels to check" if labels is None else f"{n_wrong} of {total} tiles wrong (red border and X)",
    ]
    caption = "; ".join(lines)
    total_height = caption_y + _ROW + 8
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{total_width}" height="{total_height}" viewBox="0 0 {total_width} {total_height}" '
        f'font-family="sans-serif" font-size="{_FONT}">'
        f"<title>{_e(caption)}</title>"
        + "".join(parts)
        + "".join(legend)
        + f'<text class="caption" x="0" y="{caption_y}"><tspan x="0">{_e(lines[0])}</tspan>'
        f'<tspan x="0" dy="{_ROW}">{_e(lines[1])}</tspan></text></svg>'
    )
