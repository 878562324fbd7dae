"""Procedural industrial surface-inspection patches (Mono8) for training tiny defect classifiers.

No real data set can be downloaded where lepton_hw runs, so this module draws plausible camera
patches of machined or cast parts instead: a background texture (``brushed`` metal, sand-``cast``
metal or a ``woven`` composite), lit by an uneven light, with at most one kind of defect on it
(``scratch``, ``pit``, ``stain``, ``crack`` or ``dent``, or none for ``ok``), then seen through a
noisy sensor and quantized to uint8.

The image model is physical in spirit: ``pixel = illumination * (brightness + 128 * (r - 1)) + noise``
where ``r = (1 + texture) * (1 + defect)`` is the surface's relative reflectance; the contrasts are
scaled by mid-grey rather than by the patch's brightness, so that a dark part is not also a
low-contrast part.  The noise is Gaussian read noise plus shot noise that grows with the square
root of the signal.  ``difficulty`` (0..1) lowers the defect contrast, shrinks defects a little
and raises texture and noise strength.

Determinism: the class counts are exact (largest remainder) and the labels are shuffled by a
generator seeded from ``seed`` alone.  Sample ``i`` is drawn from its own generator seeded from
``(seed, i)``, so it depends only on the seed, its index, its class and the other arguments: not
on ``n`` or on how a data set is split into calls.  Some helper arrays are
cached within a call, but only under keys that fully determine their contents, so the cache
changes speed and never results.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["DEFAULT_CLASSES", "DEFECT_CLASSES", "TEXTURES", "generate", "render_grid"]

DEFECT_CLASSES: tuple[str, ...] = ("ok", "scratch", "pit", "stain", "crack", "dent")
DEFAULT_CLASSES: tuple[str, ...] = ("ok", "scratch", "pit", "stain", "crack")
TEXTURES: tuple[str, ...] = ("brushed", "cast", "woven")

_MIN_SIDE, _MAX_SIDE = 8, 256
_CHUNK_PIXELS = 1 << 18  # patches are lit and noised in chunks of about this many pixels
# Tags mixed into the seed so the label shuffle and the per-sample streams never share a seed.
_TAG_LABELS = 0x4C41424C
_TAG_SAMPLE = 0x53414D50
# How difficulty 0.0 -> 1.0 moves the image statistics, as (easy, hard) pairs: the defect
# contrast multiplier, the defect size multiplier, the texture amplitude (relative standard
# deviation of the reflectance), the read noise (grey levels) and the shot-noise gain.
# The values were tuned so that a tiny CNN fed raw pixels (two 3x3 conv layers of 8 and 16
# filters with 2x2 max pooling, one dense layer, 15 epochs on 6000 patches) reaches about 98 %
# at difficulty 0.5 and about 90 % at 1.0, while a linear model on the pixels stays near chance.
_CONTRAST = (2.4, 1.0)
_SIZE = (1.0, 0.8)
_TEXTURE_AMP = (0.02, 0.08)
_READ_NOISE = (1.0, 4.0)
_SHOT_GAIN = (0.1, 0.3)
_BRIGHTNESS = (60.0, 200.0)  # mean grey level of a patch, drawn uniformly
_TILT = 0.1  # largest lighting ramp, relative, from the patch centre to its edge
# Texture and defect contrasts are relative to mid-grey rather than to the patch's own brightness,
# so that contrast stays under the control of difficulty (see the module docstring).
_REFERENCE_GREY = 128.0
# Noise cell sizes are rounded to steps of 1/24 in log scale (about 4 %), offsets to 1/8 of a cell,
# and brushing angles to 1/32 rad, so that the arrays built from them can be cached and reused.
_LOG_CELL_STEPS = 24
_OFFSET_STEPS = 8
_ANGLE_STEPS = 32


@dataclass(frozen=True)
class _Ctx:
    """What every texture and defect painter needs to know about the patches being drawn."""

    h: int
    w: int
    difficulty: float
    ys: np.ndarray = field(init=False)  # row coordinates 0..h-1, float32 (h,)
    xs: np.ndarray = field(init=False)  # column coordinates 0..w-1, float32 (w,)
    yy: np.ndarray = field(init=False)  # row coordinate of each pixel centre, float32 (h, w)
    xx: np.ndarray = field(init=False)  # column coordinate of each pixel centre, float32 (h, w)
    blur_h: tuple[np.ndarray, np.ndarray] = field(init=False)  # (identity, Laplacian): blur = I + side * L
    blur_w: tuple[np.ndarray, np.ndarray] = field(init=False)
    corner_offsets: np.ndarray = field(init=False)  # flat offsets of a pixel's 2x2 block in _splat's canvas
    cache: dict[tuple[Any, ...], Any] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        ys = np.arange(self.h, dtype=np.float32)
        xs = np.arange(self.w, dtype=np.float32)
        yy, xx = np.meshgrid(ys, xs, indexing="ij")
        for name, value in (("ys", ys), ("xs", xs), ("yy", yy), ("xx", xx)):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "blur_h", (np.eye(self.h, dtype=np.float32), _laplacian(self.h)))
        object.__setattr__(self, "blur_w", (np.eye(self.w, dtype=np.float32), _laplacian(self.w)))
        w2 = self.w + 2
        object.__setattr__(self, "corner_offsets", np.array([[0], [1], [w2], [w2 + 1]], dtype=np.intp))

    @property
    def short(self) -> int:
        return min(self.h, self.w)

    @property
    def scale(self) -> float:
        """Pixel sizes are tuned for 32x32 patches and scale with the short side."""
        return self.short / 32.0

    def lerp(self, easy: float, hard: float) -> float:
        return easy + (hard - easy) * self.difficulty

    def cached(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        value = self.cache.get(key)
        if value is None:
            value = self.cache[key] = make()
        return value


def _laplacian(n: int) -> np.ndarray:
    lap = np.eye(n, k=1, dtype=np.float32) + np.eye(n, k=-1, dtype=np.float32) - 2.0 * np.eye(n, dtype=np.float32)
    lap[0, 0] = lap[-1, -1] = -1.0  # replicated edge: the missing neighbour is the pixel itself
    return lap


# ----------------------------------------------------------------------------------------------
# Small numeric helpers.  Patches are small, so numpy's per-call overhead dominates the cost:
# the helpers favour few array operations (matrix products, flat gathers, cached grids) and
# scalar draws with rng.random(), which is several times cheaper than rng.uniform/choice.
# ----------------------------------------------------------------------------------------------


def _uni(rng: np.random.Generator, lo: float, hi: float) -> float:
    return lo + (hi - lo) * rng.random()


def _sign(rng: np.random.Generator, p_plus: float = 0.5) -> float:
    return 1.0 if rng.random() < p_plus else -1.0


def _interp_matrix(ctx: _Ctx, n: int, cell: float, offset: float) -> np.ndarray:
    """Weights (n, nodes) that upsample a coarse noise grid with ``cell``-pixel spacing to n pixels.

    The weight of node j is smoothstep(1 - |f - j|): the linear "hat" passed through smoothstep,
    which hides the creases that plain linear upsampling of coarse noise leaves.
    """
    q_cell = round(math.log(cell) * _LOG_CELL_STEPS)
    q_off = int(offset * _OFFSET_STEPS)
    step = math.exp(-q_cell / _LOG_CELL_STEPS)
    # Built for a power-of-two length and sliced, so that few distinct matrices are ever made.
    rows = 1 << (n - 1).bit_length()

    def make() -> np.ndarray:
        f = np.arange(rows, dtype=np.float32) * step + q_off / _OFFSET_STEPS
        nodes = np.arange(int(f[-1]) + 2, dtype=np.float32)
        t = np.maximum(1.0 - np.abs(f[:, None] - nodes), 0.0)
        return t * t * (3.0 - 2.0 * t)

    full = ctx.cached(("interp", rows, q_cell, q_off), make)
    return full[:n, : int((n - 1) * step + q_off / _OFFSET_STEPS) + 2]


def _value_noise(rng: np.random.Generator, ctx: _Ctx, cell: float) -> np.ndarray:
    """Isotropic smooth noise with features about ``cell`` pixels across (std about 0.65)."""
    my = _interp_matrix(ctx, ctx.h, cell, rng.random())
    mx = _interp_matrix(ctx, ctx.w, cell, rng.random())
    grid = rng.standard_normal((my.shape[1], mx.shape[1]), dtype=np.float32)
    return my @ grid @ mx.T


def _rotated_coords(ctx: _Ctx, theta: float) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates along (u) and across (v) the direction ``theta``, both starting at 0."""
    q = round(theta * _ANGLE_STEPS)

    def make() -> tuple[np.ndarray, np.ndarray]:
        c, s = math.cos(q / _ANGLE_STEPS), math.sin(q / _ANGLE_STEPS)
        u = ctx.xx * c + ctx.yy * s
        v = ctx.yy * c - ctx.xx * s
        return u - u.min(), v - v.min()

    return ctx.cached(("rot", q), make)


def _streak_noise(
    rng: np.random.Generator, ctx: _Ctx, theta: float, cell_u: float, cell_v: float, wide: tuple[float, float]
) -> np.ndarray:
    """Bilinear noise on a grid turned by ``theta`` whose cells are cell_u long and cell_v wide:
    very unequal cells give streaks.  ``wide`` = (factor, weight) mixes in streaks ``factor`` times
    wider, built on the small grid itself so that the pixels are gathered only once."""
    u, v = _rotated_coords(ctx, theta)
    fu = u * (1.0 / cell_u) + rng.random()
    fv = v * (1.0 / cell_v) + rng.random()
    iu = fu.astype(np.intp)
    iv = fv.astype(np.intp)
    gu = int(iu.max()) + 2
    gv = int(iv.max()) + 2
    factor, weight = wide
    across = _interp_matrix(ctx, gv, factor, rng.random())
    coarse = rng.standard_normal((gu, across.shape[1]), dtype=np.float32) @ across.T
    grid = (rng.standard_normal((gu, gv), dtype=np.float32) + weight * coarse).ravel()
    tu = fu - iu
    tv = fv - iv
    flat = iu * gv + iv
    g00, g01, g10, g11 = grid[flat], grid[flat + 1], grid[flat + gv], grid[flat + gv + 1]
    a = g00 + (g01 - g00) * tv
    b = g10 + (g11 - g10) * tv
    return a + (b - a) * tu


def _normalize(t: np.ndarray) -> np.ndarray:
    """Zero mean, unit standard deviation, so that texture strength is set by one amplitude."""
    t = t - float(t.sum()) / t.size
    return t * (1.0 / (math.sqrt(float(np.vdot(t, t)) / t.size) + 1e-6))


def _smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.minimum(np.maximum((x - edge0) * (1.0 / (edge1 - edge0)), 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


def _blur(ctx: _Ctx, img: np.ndarray, side: float) -> np.ndarray:
    """Separable [side, 1-2*side, side] blur with edge replication, as two small matrix products.
    ``side`` is rounded to 1/64 so that the matrices can be cached."""
    q = round(side * 64)

    def make() -> tuple[np.ndarray, np.ndarray]:
        (eye_h, lap_h), (eye_w, lap_w) = ctx.blur_h, ctx.blur_w
        return eye_h + (q / 64) * lap_h, eye_w + (q / 64) * lap_w

    rows, cols = ctx.cached(("blur", q), make)
    return rows @ img @ cols


def _splat(ctx: _Ctx, py: np.ndarray, px: np.ndarray, weight: np.ndarray | float) -> np.ndarray:
    """Deposit weighted points bilinearly into a coverage map.  Points along a path, each weighted
    by the spacing between them, give an anti-aliased line about one pixel wide and of coverage
    about 1, with no per-pixel distance computation; negative weights paint negative lines."""
    # A one-pixel border takes the neighbours of edge points; points further out are clamped
    # onto it and cropped away with it, which is cheaper than masking them.
    h2, w2 = ctx.h + 2, ctx.w + 2
    py = np.clip(py + 1.0, 0.0, h2 - 1.001)
    px = np.clip(px + 1.0, 0.0, w2 - 1.001)
    y0 = py.astype(np.intp)
    x0 = px.astype(np.intp)
    tx = px - x0
    ty = py - y0
    wy = np.stack([1.0 - ty, ty]) * weight  # (2, n): weights of the upper and lower rows
    wx = np.stack([1.0 - tx, tx])  # (2, n): of the left and right columns
    idx = (y0 * w2 + x0) + ctx.corner_offsets  # (4, n)
    ws = wy[:, None, :] * wx[None, :, :]  # (2, 2, n), in the same corner order
    cov = np.bincount(idx.ravel(), weights=ws.ravel(), minlength=h2 * w2).reshape(h2, w2)
    return cov[1:-1, 1:-1].astype(np.float32)


def _fit_path(
    rng: np.random.Generator, ctx: _Ctx, py: np.ndarray, px: np.ndarray, margin: float
) -> tuple[np.ndarray, np.ndarray]:
    """Translate a path to a random place where its bounding box fits inside the patch
    (or centre it when it is too big), so that defects are fully or mostly visible."""
    out = []
    for coords, side in ((py, ctx.h), (px, ctx.w)):
        lo, hi = float(coords.min()), float(coords.max())
        room = (side - 1 - 2 * margin) - (hi - lo)
        start = margin + room * rng.random() if room > 0 else (side - 1 - (hi - lo)) / 2
        out.append(coords + (start - lo))
    return out[0], out[1]


# ----------------------------------------------------------------------------------------------
# Background textures: each returns a zero-mean, unit-std map
# ----------------------------------------------------------------------------------------------


def _texture_brushed(rng: np.random.Generator, ctx: _Ctx) -> np.ndarray:
    # Brushing runs along the part's machining axis, which the camera is usually squared up to.
    theta = (math.pi / 2 if rng.random() < 0.5 else 0.0) + _uni(rng, -0.2, 0.2)
    cell_u = max(ctx.h, ctx.w) / _uni(rng, 1.0, 2.5)
    cell_v = _uni(rng, 0.6, 1.2) * ctx.scale
    streaks = _streak_noise(rng, ctx, theta, cell_u, cell_v, (_uni(rng, 2.5, 4.0), _uni(rng, 0.6, 1.2)))
    tone = _value_noise(rng, ctx, ctx.short / _uni(rng, 1.0, 2.0))
    return _normalize(streaks + _uni(rng, 0.2, 0.5) * tone)


def _texture_cast(rng: np.random.Generator, ctx: _Ctx) -> np.ndarray:
    mottle = _value_noise(rng, ctx, ctx.short / _uni(rng, 1.5, 3.0))
    mottle += 0.5 * _value_noise(rng, ctx, ctx.short / _uni(rng, 4.0, 7.0))
    # Sand grain: white noise, slightly correlated so that it is not mere sensor noise.
    side = _uni(rng, 0.1, 0.25)
    grain = _blur(ctx, rng.standard_normal((ctx.h, ctx.w), dtype=np.float32), side)
    grain_std = 2 * side * side + (1 - 2 * side) ** 2  # of white noise after this separable blur
    return _normalize(_normalize(mottle) + (_uni(rng, 0.5, 1.0) / grain_std) * grain)


def _texture_woven(rng: np.random.Generator, ctx: _Ctx) -> np.ndarray:
    theta = math.pi * rng.random()
    c, s = math.cos(theta), math.sin(theta)
    k = math.pi / (_uni(rng, 3.5, 7.0) * ctx.scale)
    su = np.sin((ctx.xx * c + ctx.yy * s) * k + math.pi * rng.random())
    sv = np.sin((ctx.yy * c - ctx.xx * s) * k + math.pi * rng.random())
    # Plain weave: the sign of su*sv flips on a checkerboard of crossings, choosing which thread
    # (warp or weft) lies on top; each thread has a rounded sin^2 profile.
    over = su * sv
    weave = su * su * (1.0 + over) + sv * sv * (1.0 - over)
    fibres = _blur(ctx, rng.standard_normal((ctx.h, ctx.w), dtype=np.float32), 0.2)
    # The weave term and the blurred noise both have a standard deviation of about 0.5.
    return _normalize(weave + _uni(rng, 0.3, 0.7) * fibres)


_TEXTURE_FUNCS: dict[str, Callable[[np.random.Generator, _Ctx], np.ndarray]] = {
    "brushed": _texture_brushed,
    "cast": _texture_cast,
    "woven": _texture_woven,
}


# ----------------------------------------------------------------------------------------------
# Defects: each returns a relative reflectance change m (the reflectance is multiplied by 1 + m)
# ----------------------------------------------------------------------------------------------


def _contrast(rng: np.random.Generator, ctx: _Ctx, lo: float, hi: float) -> float:
    """A defect's contrast: drawn per sample, then lowered with difficulty."""
    return _uni(rng, lo, hi) * ctx.lerp(*_CONTRAST)


def _shrink(ctx: _Ctx) -> float:
    return ctx.lerp(*_SIZE)


def _defect_ok(rng: np.random.Generator, ctx: _Ctx, light: float) -> np.ndarray:
    m = np.zeros((ctx.h, ctx.w), dtype=np.float32)
    # Harder sets add a harmless broad sheen, which a model must learn not to call a stain.
    if rng.random() < 0.6 * ctx.difficulty:
        cy, cx = ctx.h * rng.random(), ctx.w * rng.random()
        sigma = _uni(rng, 0.4, 0.7) * ctx.short
        r2 = ((ctx.yy - cy) ** 2 + (ctx.xx - cx) ** 2) * (-0.5 / (sigma * sigma))
        m += _sign(rng) * _uni(rng, 0.02, 0.05) * np.exp(r2)
    return m


def _defect_scratch(rng: np.random.Generator, ctx: _Ctx, light: float) -> np.ndarray:
    theta = math.pi * rng.random()
    c, s = math.cos(theta), math.sin(theta)
    margin = 1.0
    # The longest segment at this angle that fits, so long scratches stay inside the patch.
    fit = min((ctx.w - 1 - 2 * margin) / max(abs(c), 1e-6), (ctx.h - 1 - 2 * margin) / max(abs(s), 1e-6))
    length = min(_uni(rng, 0.55, 0.95) * _shrink(ctx) * math.sqrt(ctx.h * ctx.w), fit)
    points = max(int(length / 0.3), 2)
    t = np.arange(points) * (1.0 / (points - 1)) - 0.5  # like linspace(-0.5, 0.5), much cheaper
    bow = _uni(rng, -0.08, 0.08) * length * (1.0 - 4.0 * t * t)  # slightly curved: a shallow arc
    py, px = _fit_path(rng, ctx, t * length * s + bow * c, t * length * c - bow * s, margin)
    spacing = 1.15 * length / (points - 1)  # a little over full coverage: a solid core
    # A groove under oblique light: one wall catches the light, the other lies in its shadow, so
    # a scratch is a line with a weaker line of the opposite polarity beside it.  A crack has no
    # walls to speak of: it is a single dark line.
    off = _sign(rng) * 1.2
    weight = np.concatenate([np.full(points, spacing), np.full(points, -0.8 * spacing)])
    cov = _splat(ctx, np.concatenate([py, py + off * c]), np.concatenate([px, px - off * s]), weight)
    cov = _blur(ctx, cov, 0.1)
    return _sign(rng) * _contrast(rng, ctx, 0.45, 0.85) * cov


def _defect_pit(rng: np.random.Generator, ctx: _Ctx, light: float) -> np.ndarray:
    m = np.zeros((ctx.h, ctx.w), dtype=np.float32)
    lc, ls = math.cos(light), math.sin(light)
    for _ in range(1 + int(3 * rng.random())):
        r = _uni(rng, 1.8, 3.2) * max(ctx.scale, 0.5) * _shrink(ctx)
        pad = r + 2.0
        cy = pad + rng.random() * max(ctx.h - 1 - 2 * pad, 0.0)
        cx = pad + rng.random() * max(ctx.w - 1 - 2 * pad, 0.0)
        depth = _contrast(rng, ctx, 0.45, 0.8)
        # Only a small window around the pit is touched, which is much cheaper than the patch.
        y0, y1 = max(int(cy - pad), 0), min(int(cy + pad) + 2, ctx.h)
        x0, x1 = max(int(cx - pad), 0), min(int(cx + pad) + 2, ctx.w)
        dy = ctx.ys[y0:y1, None] - cy
        dx = ctx.xs[None, x0:x1] - cx
        d = np.sqrt(dy * dy + dx * dx)
        hole = 1.0 - _smoothstep(r - 0.7, r + 0.7, d)
        # The rim catches the light on the side facing it: a faint specular crescent.
        facing = np.maximum((dx * lc + dy * ls) / (d + 1e-3), 0.0)
        rim = np.exp((d - r - 0.8) ** 2 * -2.0) * (0.3 + 0.7 * facing)
        m[y0:y1, x0:x1] += depth * (0.6 * rim - hole)
    return m


def _defect_stain(rng: np.random.Generator, ctx: _Ctx, light: float) -> np.ndarray:
    radius = _uni(rng, 0.2, 0.35) * ctx.short * _shrink(ctx)
    cy = _uni(rng, 0.3, 0.7) * (ctx.h - 1)
    cx = _uni(rng, 0.3, 0.7) * (ctx.w - 1)
    dy, dx = ctx.yy - cy, ctx.xx - cx
    d = np.sqrt(dy * dy + dx * dx)
    cos1, sin1 = dx / (d + 1e-3), dy / (d + 1e-3)
    # Irregular outline: low angular harmonics wobble the radius (cos/sin of k*phi by recurrence,
    # cheaper than arctan2 and then trigonometry on every pixel).
    outline = np.ones_like(d)
    ck, sk = cos1, sin1
    for k in (2, 3, 4):
        ck, sk = ck * cos1 - sk * sin1, sk * cos1 + ck * sin1
        a = math.tau * rng.random()
        outline += (rng.random() * 0.45 / k) * (ck * math.cos(a) - sk * math.sin(a))
    edge = _uni(rng, 0.12, 0.3) * radius
    off = d - radius * outline
    mask = 1.0 - _smoothstep(-edge, edge, off)
    # Uneven deposit inside, and sometimes a darker "coffee ring" where a drop dried.
    mask *= 1.0 + 0.35 * _value_noise(rng, ctx, radius)
    if rng.random() < 0.4:
        mask += _uni(rng, 0.3, 0.7) * np.exp(off * off * (-0.5 / (0.5 * edge + 0.6) ** 2))
    # Capped so that a stain stays a discoloration and does not turn into a black hole.
    return _sign(rng, 0.3) * _contrast(rng, ctx, 0.16, 0.3) * np.minimum(mask, 1.15)


def _walk(rng: np.random.Generator, ctx: _Ctx, length: float, theta: float) -> tuple[np.ndarray, np.ndarray, float]:
    """A jagged path: short straight runs whose heading jitters around a slowly drifting course.

    Returns points along it and their spacing; each run is drawn as several points so that the
    path needs no resampling before it is splatted."""
    run = _uni(rng, 0.7, 1.4) * max(ctx.scale, 0.5)
    sub = max(4, math.ceil(run / 0.35))  # points at most 0.35 px apart, so the line is not dotted
    steps = max(int(length / run), 3)
    jitter = rng.standard_normal((2, steps))
    heading = np.repeat(theta + np.cumsum(0.1 * jitter[0]) + 0.8 * jitter[1], sub)
    step = run / sub
    return np.cumsum(step * np.sin(heading)), np.cumsum(step * np.cos(heading)), step


def _defect_crack(rng: np.random.Generator, ctx: _Ctx, light: float) -> np.ndarray:
    length = _uni(rng, 0.6, 1.0) * _shrink(ctx) * ctx.short
    theta = math.tau * rng.random()
    py, px, step = _walk(rng, ctx, length, theta)
    # Cracks taper towards their tips, and their opening varies along the way.
    weight = step * (0.35 + 0.55 * np.sin(np.arange(py.size) * (math.pi / (py.size - 1))))
    weight *= 0.6 + 0.8 * rng.random(py.size)
    if rng.random() < 0.8:
        j = int(py.size * _uni(rng, 0.25, 0.75))
        turn = _sign(rng) * _uni(rng, 0.5, 1.1)
        by, bx, bstep = _walk(rng, ctx, length * _uni(rng, 0.25, 0.5), theta + turn)
        py = np.concatenate([py, by + py[j]])
        px = np.concatenate([px, bx + px[j]])
        weight = np.concatenate([weight, bstep * (0.6 - np.arange(by.size) * (0.35 / (by.size - 1)))])
    py, px = _fit_path(rng, ctx, py, px, 1.0)
    cov = np.minimum(_splat(ctx, py, px, weight), 1.0)
    return -_contrast(rng, ctx, 0.55, 0.9) * cov


def _defect_dent(rng: np.random.Generator, ctx: _Ctx, light: float) -> np.ndarray:
    radius = _uni(rng, 0.15, 0.25) * ctx.short * _shrink(ctx)
    sigma = radius / 1.3
    cy = _uni(rng, radius, ctx.h - 1 - radius)
    cx = _uni(rng, radius, ctx.w - 1 - radius)
    dy, dx = ctx.yy - cy, ctx.xx - cx
    bump = np.exp((dy * dy + dx * dx) * (-0.5 / (sigma * sigma)))
    # Lambertian shading of a dip: the slope facing the light is bright, the opposite one dark.
    slope = (dx * math.cos(light) + dy * math.sin(light)) * (math.exp(0.5) / sigma) * bump
    return _contrast(rng, ctx, 0.25, 0.4) * slope


_DEFECT_FUNCS: dict[str, Callable[[np.random.Generator, _Ctx, float], np.ndarray]] = {
    "ok": _defect_ok,
    "scratch": _defect_scratch,
    "pit": _defect_pit,
    "stain": _defect_stain,
    "crack": _defect_crack,
    "dent": _defect_dent,
}


# ----------------------------------------------------------------------------------------------
# One sample, and the public API
# ----------------------------------------------------------------------------------------------


def _lighting(rng: np.random.Generator) -> tuple[float, float, float]:
    """The light's direction (radians), the strength of its linear ramp across the patch, and of
    vignetting (0 for none)."""
    light = math.tau * rng.random()
    tilt = _uni(rng, 0.0, _TILT)
    vignette = _uni(rng, 0.05, 0.25) if rng.random() < 0.5 else 0.0
    return light, tilt, vignette


def _surface(rng: np.random.Generator, ctx: _Ctx, cls: str, textures: Sequence[str], params: np.ndarray) -> np.ndarray:
    """One patch's relative reflectance change ``r - 1`` (float32 (h, w)).  Its lighting and
    sensor settings go into ``params`` (one row, columns as in _PARAMS), for _expose."""
    texture = textures[int(len(textures) * rng.random())]
    tex = _TEXTURE_FUNCS[texture](rng, ctx)
    tex_amp = ctx.lerp(*_TEXTURE_AMP) * _uni(rng, 0.7, 1.3)
    light, tilt, vignette = _lighting(rng)
    defect = _DEFECT_FUNCS[cls](rng, ctx, light)
    brightness = _uni(rng, *_BRIGHTNESS)
    read_noise = ctx.lerp(*_READ_NOISE) * _uni(rng, 0.7, 1.3)
    params[:] = (brightness, math.cos(light), math.sin(light), tilt, vignette, read_noise)
    return (tex_amp * tex) * (1.0 + defect) + defect


# Per-sample settings that _expose applies to a chunk of patches at once, in this column order.
_PARAMS = ("brightness", "cos_light", "sin_light", "tilt", "vignette", "read_noise")


def _expose(ctx: _Ctx, reflectance: np.ndarray, params: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Light a chunk of surfaces, add sensor noise and quantize: uint8 (k, h, w).

    Done for many patches at once because it is pure per-pixel arithmetic, which numpy does far
    faster on one big array than on many small ones.  Additions, multiplications and square roots
    are correctly rounded, so a patch's pixels do not depend on which chunk it falls in.
    """
    brightness, cos_l, sin_l, tilt, vignette, read_noise = (col.astype(np.float32)[:, None, None] for col in params.T)
    half = max(ctx.h, ctx.w) / 2
    dy = ctx.yy - (ctx.h - 1) / 2
    dx = ctx.xx - (ctx.w - 1) / 2
    illum = (
        1.0 + (tilt * (1.0 / half)) * (dx * cos_l + dy * sin_l) - vignette * ((dx * dx + dy * dy) / (2 * half * half))
    )
    signal = np.maximum(illum * (brightness + _REFERENCE_GREY * reflectance), 0.0)
    shot = ctx.lerp(*_SHOT_GAIN)
    signal += noise * np.sqrt(read_noise * read_noise + (shot * shot) * signal)
    return np.clip(np.rint(signal), 0, 255).astype(np.uint8)


def _check_names(kind: str, values: Sequence[str], accepted: tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(values, str):
        raise ValueError(f"{kind} must be a sequence of names, not the string {values!r}; accepted: {accepted}")
    names = tuple(values)
    if not names:
        raise ValueError(f"{kind} is empty; give at least one of {accepted}")
    unknown = [v for v in names if v not in accepted]
    if unknown:
        raise ValueError(f"unknown {kind} {unknown}; accepted: {', '.join(accepted)}")
    if len(set(names)) != len(names):
        raise ValueError(f"{kind} has duplicates: {list(names)}")
    return names


def _class_counts(n: int, balance: Sequence[float] | None, k: int) -> np.ndarray:
    """Exact counts by the largest remainder method (ties go to the earlier class)."""
    if balance is None:
        weights = np.ones(k)
    else:
        weights = np.asarray(list(balance), dtype=np.float64)
        if weights.shape != (k,):
            raise ValueError(f"balance has {weights.size} entries but there are {k} classes")
        if not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise ValueError(f"balance entries must be finite and >= 0, got {list(balance)}")
        if weights.sum() <= 0:
            raise ValueError("balance is all zero; at least one class needs a positive proportion")
    quotas = n * weights / weights.sum()
    counts = np.floor(quotas).astype(np.int64)
    order = np.argsort(-(quotas - counts), kind="stable")
    counts[order[: n - int(counts.sum())]] += 1
    return counts


def generate(
    n: int,
    *,
    size: tuple[int, int] = (32, 32),
    classes: Sequence[str] = DEFAULT_CLASSES,
    difficulty: float = 0.5,
    balance: Sequence[float] | None = None,
    textures: Sequence[str] = TEXTURES,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` labelled surface patches.

    ``size`` is (height, width), each 8..256.  Label ``k`` means ``classes[k]``.  ``balance``
    gives relative class proportions (None: equal); the counts are exact, then shuffled.
    ``difficulty`` runs from 0.0 (obvious defects, clean surfaces) to 1.0 (faint, smaller
    defects on strong texture and noise).  Backgrounds are drawn uniformly from ``textures``.

    Returns images, uint8 of shape (n, height, width), and labels, int64 of shape (n,).
    Raises ValueError for any bad argument.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    try:
        h, w = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ValueError(f"size must be (height, width), got {size!r}") from None
    if not (_MIN_SIDE <= h <= _MAX_SIDE and _MIN_SIDE <= w <= _MAX_SIDE):
        raise ValueError(f"size {h}x{w} is out of range: height and width must be {_MIN_SIDE}..{_MAX_SIDE}")
    class_names = _check_names("classes", classes, DEFECT_CLASSES)
    texture_names = _check_names("textures", textures, TEXTURES)
    try:
        difficulty = float(difficulty)
    except (TypeError, ValueError):
        raise ValueError(f"difficulty must be a number in [0, 1], got {difficulty!r}") from None
    if not 0.0 <= difficulty <= 1.0:
        raise ValueError(f"difficulty must be in [0, 1], got {difficulty}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    counts = _class_counts(int(n), balance, len(class_names))

    labels = np.repeat(np.arange(len(class_names), dtype=np.int64), counts)
    np.random.default_rng([int(seed), _TAG_LABELS]).shuffle(labels)

    ctx = _Ctx(h=h, w=w, difficulty=difficulty)
    images = np.empty((int(n), h, w), dtype=np.uint8)
    chunk = max(1, _CHUNK_PIXELS // (h * w))
    for start in range(0, int(n), chunk):
        k = min(chunk, int(n) - start)
        reflectance = np.empty((k, h, w), dtype=np.float32)
        noise = np.empty((k, h, w), dtype=np.float32)
        params = np.empty((k, len(_PARAMS)))
        for j in range(k):
            i = start + j
            # The same stream as default_rng([seed, i, tag]), built directly: default_rng's argument
            # handling would double the cost of seeding, which matters at a few hundred us per sample.
            rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), i, _TAG_SAMPLE])))
            reflectance[j] = _surface(rng, ctx, class_names[labels[i]], texture_names, params[j])
            rng.standard_normal(dtype=np.float32, out=noise[j])
        images[start : start + k] = _expose(ctx, reflectance, params, noise)
    return images, labels


def render_grid(images: np.ndarray, labels: np.ndarray, classes: Sequence[str], per_class: int = 8) -> np.ndarray:
    """A uint8 mosaic for eyeballing: one row per class (in ``classes`` order), the first
    ``per_class`` samples of that class across, with 2-pixel black gaps.  Missing samples stay black."""
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim != 3 or labels.shape != (images.shape[0],):
        raise ValueError(f"need images (n, H, W) and labels (n,), got {images.shape} and {labels.shape}")
    if per_class < 1:
        raise ValueError(f"per_class must be >= 1, got {per_class}")
    gap = 2
    _, h, w = images.shape
    rows = len(classes)
    grid = np.zeros((rows * (h + gap) + gap, per_class * (w + gap) + gap), dtype=np.uint8)
    for k in range(rows):
        for j, idx in enumerate(np.flatnonzero(labels == k)[:per_class]):
            y, x = gap + k * (h + gap), gap + j * (w + gap)
            grid[y : y + h, x : x + w] = np.clip(images[idx], 0, 255)
    return grid
