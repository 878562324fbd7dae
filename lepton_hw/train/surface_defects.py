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

:func:`compose_frames` draws whole camera frames for the core's tiled mode instead: one surface
under one light across the frame, with defects painted by the same painters into known tiles of
the patch size, so that every tile is a sample like :func:`generate`'s.

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

__all__ = [
    "DEFAULT_CLASSES",
    "DEFECT_CLASSES",
    "MAX_FRAME_SIDE",
    "TEXTURES",
    "compose_frames",
    "generate",
    "render_grid",
]

DEFECT_CLASSES: tuple[str, ...] = ("ok", "scratch", "pit", "stain", "crack", "dent")
DEFAULT_CLASSES: tuple[str, ...] = ("ok", "scratch", "pit", "stain", "crack")
TEXTURES: tuple[str, ...] = ("brushed", "cast", "woven")

_MIN_SIDE, _MAX_SIDE = 8, 256
_CHUNK_PIXELS = 1 << 18  # patches are lit and noised in chunks of about this many pixels
# Tags mixed into the seed so the label shuffle and the per-sample streams never share a seed.
_TAG_LABELS = 0x4C41424C
_TAG_SAMPLE = 0x53414D50
# compose_frames: a frame's tile layout, its surface and light, its sensor noise, and each tile's defect.
_TAG_LAYOUT = 0x4C41594F
_TAG_SURFACE = 0x53555246
_TAG_NOISE = 0x4E4F4953
_TAG_TILE = 0x54494C45
MAX_FRAME_SIDE = 8192  # compose_frames: the largest frame width or height (as lepton_hw.config's)
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
# compose_frames' light across a whole frame: the largest ramp from the frame's centre to its edge
# (less on frames only a few tiles wide, so that no tile sees more than _TILT), and the largest
# amplitude of a broad, smooth unevenness on top.
_FRAME_TILT = 0.25
_FRAME_WOBBLE = 0.1
_FRAME_CONTRAST = 3.0  # brightest / darkest light on a frame, at most
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
    """What every texture and defect painter needs to know about the patches being drawn.

    With ``unit`` = (tile height, tile width) it describes a whole camera frame instead
    (:func:`compose_frames`): the textures then keep the feature sizes of a ``unit``-sized patch,
    so that every tile of the frame looks like a training patch, and the noise, blur and
    normalization helpers switch to forms whose cost grows with the pixel count only.
    """

    h: int
    w: int
    difficulty: float
    unit: tuple[int, int] | None = None
    ys: np.ndarray = field(init=False)  # row coordinates 0..h-1, float32 (h,)
    xs: np.ndarray = field(init=False)  # column coordinates 0..w-1, float32 (w,)
    yy: np.ndarray = field(init=False)  # row coordinate of each pixel centre, float32 (h, w); (h, 1) on a frame
    xx: np.ndarray = field(init=False)  # column coordinate of each pixel centre, float32 (h, w); (1, w) on a frame
    # (identity, Laplacian): blur = I + side * L; None on a frame, which is blurred by shifted sums
    blur_h: tuple[np.ndarray, np.ndarray] | None = field(init=False)
    blur_w: tuple[np.ndarray, np.ndarray] | None = field(init=False)
    corner_offsets: np.ndarray = field(init=False)  # flat offsets of a pixel's 2x2 block in _splat's canvas
    cache: dict[tuple[Any, ...], Any] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        ys = np.arange(self.h, dtype=np.float32)
        xs = np.arange(self.w, dtype=np.float32)
        frame = self.unit is not None
        # On a frame the grids broadcast (same results, no frame-sized arrays kept).
        yy, xx = (ys[:, None], xs[None, :]) if frame else np.meshgrid(ys, xs, indexing="ij")
        for name, value in (("ys", ys), ("xs", xs), ("yy", yy), ("xx", xx)):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "blur_h", None if frame else (np.eye(self.h, dtype=np.float32), _laplacian(self.h)))
        object.__setattr__(self, "blur_w", None if frame else (np.eye(self.w, dtype=np.float32), _laplacian(self.w)))
        w2 = self.w + 2
        object.__setattr__(self, "corner_offsets", np.array([[0], [1], [w2], [w2 + 1]], dtype=np.intp))

    @property
    def frame(self) -> bool:
        return self.unit is not None

    @property
    def short(self) -> int:
        """The short side of a patch (of a tile, on a frame): the textures' and defects' yardstick."""
        return min(self.unit or (self.h, self.w))

    @property
    def long(self) -> int:
        return max(self.unit or (self.h, self.w))

    @property
    def scale(self) -> float:
        """Pixel sizes are tuned for 32x32 patches and scale with the short side."""
        return self.short / 32.0

    def lerp(self, easy: float, hard: float) -> float:
        return easy + (hard - easy) * self.difficulty

    def cached(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        if self.frame:  # frame-sized arrays: caching one per key would hold too much memory
            return make()
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


def _hat_weights(n: int, cell: float, offset: float) -> tuple[np.ndarray, np.ndarray, int]:
    """The sparse form of :func:`_interp_matrix`, for frames: pixel i takes nodes j[i] and j[i] + 1,
    the second with weight t[i] (the first with 1 - t[i]); and the number of nodes."""
    f = np.arange(n, dtype=np.float32) * np.float32(1.0 / cell) + np.float32(offset)
    j = f.astype(np.intp)
    t = f - j
    return j, t * t * (3.0 - 2.0 * t), int(j[-1]) + 2


def _upsample_rows(grid: np.ndarray, j: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``grid`` (nodes, ...) interpolated to rows ``j + t`` (see _hat_weights)."""
    lo = grid[j]
    return lo + (grid[j + 1] - lo) * t.reshape(-1, *([1] * (grid.ndim - 1)))


def _value_noise(rng: np.random.Generator, ctx: _Ctx, cell: float) -> np.ndarray:
    """Isotropic smooth noise with features about ``cell`` pixels across (std about 0.65)."""
    if ctx.frame:
        jy, ty, ny = _hat_weights(ctx.h, cell, rng.random())
        jx, tx, nx = _hat_weights(ctx.w, cell, rng.random())
        grid = rng.standard_normal((ny, nx), dtype=np.float32)
        return _upsample_rows(_upsample_rows(grid, jy, ty).T, jx, tx).T
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
    if ctx.frame:
        return _streak_noise_frame(rng, ctx, theta, cell_u, cell_v, wide)
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
    return _gather_bilinear(grid, gv, fu, fv, iu, iv)


def _gather_bilinear(
    grid: np.ndarray, gv: int, fu: np.ndarray, fv: np.ndarray, iu: np.ndarray, iv: np.ndarray
) -> np.ndarray:
    """Bilinear interpolation of the flat grid (rows of ``gv`` nodes) at (fu, fv), iu/iv their integer parts."""
    tu = fu - iu
    tv = fv - iv
    flat = iu * gv + iv
    g00, g01, g10, g11 = grid[flat], grid[flat + 1], grid[flat + gv], grid[flat + gv + 1]
    a = g00 + (g01 - g00) * tv
    b = g10 + (g11 - g10) * tv
    return a + (b - a) * tu


def _streak_noise_frame(
    rng: np.random.Generator, ctx: _Ctx, theta: float, cell_u: float, cell_v: float, wide: tuple[float, float]
) -> np.ndarray:
    """:func:`_streak_noise` on a frame: the grid is sized from the frame's corners and the pixels
    are gathered band by band, so that the index arrays never take more than a band's memory."""
    q = round(theta * _ANGLE_STEPS)
    c, s = math.cos(q / _ANGLE_STEPS), math.sin(q / _ANGLE_STEPS)
    corners = [(y, x) for y in (0.0, ctx.h - 1.0) for x in (0.0, ctx.w - 1.0)]
    u_min, u_max = min(x * c + y * s for y, x in corners), max(x * c + y * s for y, x in corners)
    v_min, v_max = min(y * c - x * s for y, x in corners), max(y * c - x * s for y, x in corners)
    off_u, off_v = rng.random(), rng.random()
    gu = int((u_max - u_min) / cell_u + off_u) + 2
    gv = int((v_max - v_min) / cell_v + off_v) + 2
    factor, weight = wide
    j, t, nodes = _hat_weights(gv, factor, rng.random())
    coarse = _upsample_rows(rng.standard_normal((gu, nodes), dtype=np.float32).T, j, t).T
    grid = (rng.standard_normal((gu, gv), dtype=np.float32) + weight * coarse).ravel()
    out = np.empty((ctx.h, ctx.w), dtype=np.float32)
    xs_u = (ctx.xs * np.float32(c) - np.float32(u_min)) * np.float32(1.0 / cell_u) + np.float32(off_u)
    xs_v = (ctx.xs * np.float32(-s) - np.float32(v_min)) * np.float32(1.0 / cell_v) + np.float32(off_v)
    band = max(1, _CHUNK_PIXELS // ctx.w)
    for y0 in range(0, ctx.h, band):
        ys = ctx.ys[y0 : y0 + band, None]
        fu = xs_u + ys * np.float32(s / cell_u)
        fv = xs_v + ys * np.float32(c / cell_v)
        # Rounding may put a corner a hair past the grid's last cell: clamp onto it.
        iu = np.minimum(fu.astype(np.intp), gu - 2)
        iv = np.minimum(fv.astype(np.intp), gv - 2)
        out[y0 : y0 + band] = _gather_bilinear(grid, gv, fu, fv, iu, iv)
    return out


def _normalize(ctx: _Ctx, t: np.ndarray) -> np.ndarray:
    """Zero mean, unit standard deviation, so that texture strength is set by one amplitude.

    On a frame the unit is the standard deviation within a tile (the mean over the tiles), as a
    training patch is normalized on its own; the texture's mean still drifts from tile to tile."""
    t = t - float(t.sum()) / t.size
    if ctx.unit is None:
        return t * (1.0 / (math.sqrt(float(np.vdot(t, t)) / t.size) + 1e-6))
    h, w = ctx.unit
    rows, cols = ctx.h // h, ctx.w // w
    tiles = t[: rows * h, : cols * w].reshape(rows, h, cols, w)
    mean = tiles.sum(axis=(1, 3), dtype=np.float64) / (h * w)
    mean_square = np.einsum("ijkl,ijkl->ik", tiles, tiles, dtype=np.float64) / (h * w)
    t *= np.float32(1.0 / (math.sqrt(float((mean_square - mean * mean).mean())) + 1e-6))
    return t


def _smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.minimum(np.maximum((x - edge0) * (1.0 / (edge1 - edge0)), 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


def _blur(ctx: _Ctx, img: np.ndarray, side: float) -> np.ndarray:
    """Separable [side, 1-2*side, side] blur with edge replication, as two small matrix products.
    ``side`` is rounded to 1/64 so that the matrices can be cached."""
    q = round(side * 64)
    if ctx.frame:  # the same blur as shifted sums: matrices of a frame's side would be large and slow
        s = np.float32(q / 64)
        for _ in range(2):  # rows, then (transposed) columns
            out = img * (np.float32(1.0) - 2 * s)
            out[1:] += s * img[:-1]
            out[:-1] += s * img[1:]
            out[0] += s * img[0]  # the replicated edges
            out[-1] += s * img[-1]
            img = out.T
        return np.ascontiguousarray(img)

    def make() -> tuple[np.ndarray, np.ndarray]:
        assert ctx.blur_h is not None and ctx.blur_w is not None
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
    cell_u = ctx.long / _uni(rng, 1.0, 2.5)
    cell_v = _uni(rng, 0.6, 1.2) * ctx.scale
    streaks = _streak_noise(rng, ctx, theta, cell_u, cell_v, (_uni(rng, 2.5, 4.0), _uni(rng, 0.6, 1.2)))
    tone = _value_noise(rng, ctx, ctx.short / _uni(rng, 1.0, 2.0))
    return _normalize(ctx, streaks + _uni(rng, 0.2, 0.5) * tone)


def _texture_cast(rng: np.random.Generator, ctx: _Ctx) -> np.ndarray:
    mottle = _value_noise(rng, ctx, ctx.short / _uni(rng, 1.5, 3.0))
    mottle += 0.5 * _value_noise(rng, ctx, ctx.short / _uni(rng, 4.0, 7.0))
    # Sand grain: white noise, slightly correlated so that it is not mere sensor noise.
    side = _uni(rng, 0.1, 0.25)
    grain = _blur(ctx, rng.standard_normal((ctx.h, ctx.w), dtype=np.float32), side)
    grain_std = 2 * side * side + (1 - 2 * side) ** 2  # of white noise after this separable blur
    return _normalize(ctx, _normalize(ctx, mottle) + (_uni(rng, 0.5, 1.0) / grain_std) * grain)


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
    return _normalize(ctx, weave + _uni(rng, 0.3, 0.7) * fibres)


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


def _sheen(rng: np.random.Generator, ctx: _Ctx) -> tuple[float, float, float, float] | None:
    """Harder sets add a harmless broad sheen, which a model must learn not to call a stain:
    None, or its centre (row, column), its width (sigma) and its amplitude."""
    if rng.random() < 0.6 * ctx.difficulty:
        cy, cx = ctx.h * rng.random(), ctx.w * rng.random()
        sigma = _uni(rng, 0.4, 0.7) * ctx.short
        return cy, cx, sigma, _sign(rng) * _uni(rng, 0.02, 0.05)
    return None


def _defect_ok(rng: np.random.Generator, ctx: _Ctx, light: float) -> np.ndarray:
    m = np.zeros((ctx.h, ctx.w), dtype=np.float32)
    sheen = _sheen(rng, ctx)
    if sheen is not None:
        cy, cx, sigma, amplitude = sheen
        r2 = ((ctx.yy - cy) ** 2 + (ctx.xx - cx) ** 2) * (-0.5 / (sigma * sigma))
        m += amplitude * np.exp(r2)
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


def _check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    valid = not isinstance(value, bool) and isinstance(value, int | np.integer)
    if not valid or value < low or (high is not None and value > high):
        accepted = f">= {low}" if high is None else f"{low}..{high}"
        raise ValueError(f"{name} must be an integer {accepted}, got {value!r}")
    return int(value)


def _check_size(name: str, size: Any) -> tuple[int, int]:
    try:
        h, w = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be (height, width), got {size!r}") from None
    if not (_MIN_SIDE <= h <= _MAX_SIDE and _MIN_SIDE <= w <= _MAX_SIDE):
        raise ValueError(f"{name} {h}x{w} is out of range: height and width must be {_MIN_SIDE}..{_MAX_SIDE}")
    return h, w


def _check_unit_interval(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}") from None
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {number}")
    return number


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
    _check_int("n", n, 1)
    h, w = _check_size("size", size)
    class_names = _check_names("classes", classes, DEFECT_CLASSES)
    texture_names = _check_names("textures", textures, TEXTURES)
    difficulty = _check_unit_interval("difficulty", difficulty)
    _check_int("seed", seed, 0)
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


# ----------------------------------------------------------------------------------------------
# Whole camera frames, for the core's tiled mode: one part under one light, defects in known tiles
# ----------------------------------------------------------------------------------------------


def _frame_light(rng: np.random.Generator, ctx: _Ctx) -> tuple[float, np.ndarray]:
    """The light across a frame: its direction (radians) and the relative illumination (h, w).

    A ramp along the light's direction, a broad smooth unevenness and sometimes lens vignetting,
    all gentle enough that each tile sees no more of a ramp than a training patch does (_TILT)."""
    assert ctx.unit is not None
    light = math.tau * rng.random()
    half = max(ctx.h, ctx.w) / 2
    half_tile = ctx.long / 2
    tilt = _uni(rng, 0.0, min(_FRAME_TILT, _TILT * half / half_tile))
    cell = max(min(ctx.h, ctx.w) / 2, 4.0 * ctx.long)
    wobble = _uni(rng, 0.0, _FRAME_WOBBLE) * _value_noise(rng, ctx, cell)
    vignette = _uni(rng, 0.05, 0.25) if rng.random() < 0.5 else 0.0
    dy = ctx.yy - (ctx.h - 1) / 2
    dx = ctx.xx - (ctx.w - 1) / 2
    illum = (
        1.0
        + (tilt / half) * (dx * math.cos(light) + dy * math.sin(light))
        - vignette * ((dx * dx + dy * dy) / (2 * half * half))
        + wobble
    )
    lo, hi = float(illum.min()), float(illum.max())
    if hi > _FRAME_CONTRAST * lo:  # rare: squeeze towards 1 so that every tile can be lit in range
        illum = 1.0 + (illum - 1.0) * np.float32((_FRAME_CONTRAST - 1.0) / ((hi - 1.0) - _FRAME_CONTRAST * (lo - 1.0)))
    return light, illum.astype(np.float32)


def _add_blob(canvas: np.ndarray, cy: float, cx: float, sigma: float, amplitude: float) -> None:
    """Add a Gaussian blob to ``canvas`` (as separable factors, out to 3.5 sigma)."""
    reach = 3.5 * sigma
    y0, y1 = max(int(cy - reach), 0), min(int(cy + reach) + 2, canvas.shape[0])
    x0, x1 = max(int(cx - reach), 0), min(int(cx + reach) + 2, canvas.shape[1])
    k = -0.5 / (sigma * sigma)
    gy = np.exp((np.arange(y0, y1, dtype=np.float32) - np.float32(cy)) ** 2 * np.float32(k))
    gx = np.exp((np.arange(x0, x1, dtype=np.float32) - np.float32(cx)) ** 2 * np.float32(k))
    canvas[y0:y1, x0:x1] += np.float32(amplitude) * gy[:, None] * gx[None, :]


def _tile_layout(rng: np.random.Generator, tiles: int, classes: tuple[str, ...], defect_fraction: float) -> np.ndarray:
    """The class of each tile (raster order): round(defect_fraction * tiles) defect tiles at random
    places, each of a defect class drawn uniformly; "ok" elsewhere."""
    ok = classes.index("ok")
    defects = np.array([k for k, name in enumerate(classes) if name != "ok"], dtype=np.int64)
    labels = np.full(tiles, ok, dtype=np.int64)
    count = math.floor(defect_fraction * tiles + 0.5)
    if count:
        places = rng.permutation(tiles)[:count]
        labels[places] = defects[rng.integers(0, len(defects), size=count)]
    return labels


def _compose_frame(
    index: int,
    seed: int,
    frame_ctx: _Ctx,
    tile_ctx: _Ctx,
    labels: np.ndarray,
    class_names: tuple[str, ...],
    texture_names: tuple[str, ...],
) -> np.ndarray:
    """Frame ``index``: uint8 (H, W) with the defects of ``labels`` (TR, TC) painted in their tiles."""
    h, w = tile_ctx.h, tile_ctx.w
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, index, _TAG_SURFACE])))
    # One part under one light: the texture runs on across tile borders (its features sized for a tile).
    texture = texture_names[int(len(texture_names) * rng.random())]
    tex = _TEXTURE_FUNCS[texture](rng, frame_ctx)
    tex_amp = frame_ctx.lerp(*_TEXTURE_AMP) * _uni(rng, 0.7, 1.3)
    light, illum = _frame_light(rng, frame_ctx)
    # A brightness that keeps every part of the frame within the training patches' range.
    lo, hi = _BRIGHTNESS
    brightness = _uni(rng, min(lo / float(illum.min()), hi / float(illum.max())), hi / float(illum.max()))
    read_noise = frame_ctx.lerp(*_READ_NOISE) * _uni(rng, 0.7, 1.3)
    # Each tile's defect, painted as for a training patch by the same painter under the frame's
    # light; the remainder strips stay plain.  The harmless sheen that harder sets put on ok
    # patches is drawn for every tile whatever its class, and painted whole rather than cut at the
    # tile's border (which would show as a seam): a property of the part, not of a tile's class.
    defect = np.zeros((frame_ctx.h, frame_ctx.w), dtype=np.float32)
    cols = labels.shape[1]
    for t, cls in enumerate(labels.ravel()):
        tile_rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, index, t, _TAG_TILE])))
        r, c = divmod(t, cols)
        sheen = _sheen(tile_rng, tile_ctx)
        if class_names[cls] != "ok":
            defect[r * h : (r + 1) * h, c * w : (c + 1) * w] = _DEFECT_FUNCS[class_names[cls]](
                tile_rng, tile_ctx, light
            )
        if sheen is not None:
            _add_blob(defect, r * h + sheen[0], c * w + sheen[1], sheen[2], sheen[3])
    # The image model of _surface and the sensor model of _expose, with the frame's light in place
    # of a patch's; in place, as frame-sized temporaries add up on large frames.
    signal = tex  # reflectance - 1 = (tex_amp * tex) * (1 + defect) + defect
    signal *= np.float32(tex_amp)
    signal *= defect + np.float32(1.0)
    signal += defect
    del tex, defect
    signal *= np.float32(_REFERENCE_GREY)
    signal += np.float32(brightness)
    signal *= illum
    np.maximum(signal, np.float32(0.0), out=signal)
    del illum
    noise_rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, index, _TAG_NOISE])))
    noise = noise_rng.standard_normal((frame_ctx.h, frame_ctx.w), dtype=np.float32)
    shot = frame_ctx.lerp(*_SHOT_GAIN)
    spread = signal * np.float32(shot * shot)
    spread += np.float32(read_noise * read_noise)
    np.sqrt(spread, out=spread)
    spread *= noise
    signal += spread
    np.rint(signal, out=signal)
    np.clip(signal, 0, 255, out=signal)
    return signal.astype(np.uint8)


def compose_frames(
    count: int,
    width: int,
    height: int,
    tile: tuple[int, int] = (32, 32),
    seed: int = 0,
    *,
    classes: Sequence[str] = DEFAULT_CLASSES,
    difficulty: float = 0.5,
    textures: Sequence[str] = TEXTURES,
    defect_fraction: float = 0.25,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``count`` whole camera frames with defects planted in known tiles.

    The frame (``width`` x ``height`` pixels) is cut into non-overlapping ``tile`` = (height, width)
    tiles in raster order, TR = height // tile height rows of TC = width // tile width; the strips
    on the right and at the bottom narrower than a tile get plain surface.  Each frame shows one
    surface (one texture, drawn from ``textures``) under one uneven light, continuous across the
    tile borders; round(``defect_fraction`` * TR * TC) tiles, at random places, get a defect of a
    class drawn uniformly from the defect classes of ``classes``, the others are "ok".  A tile's
    defect is painted by the same painter, with the same ``difficulty``, as a training patch of
    :func:`generate`, and the texture's feature sizes, the light's ramp within a tile, the
    brightness and the sensor noise stay within the training patches' ranges, so that a model
    trained on ``tile``-sized patches sees its own distribution in every tile.

    Deterministic: frame ``i`` depends only on ``seed``, ``i`` and the other arguments (not on
    ``count``); its surface, light and noise do not depend on ``defect_fraction`` either, so
    ``defect_fraction=0.0`` gives the same frames without their defects, and a tile whose class
    is "ok" in both has the same pixels.

    Returns frames, uint8 (count, height, width, 1) (Mono8), and tile labels, int64
    (count, TR, TC) indexing ``classes`` ("ok" must be one of them).  Raises ValueError for any
    bad argument.
    """
    _check_int("count", count, 1)
    th, tw = _check_size("tile", tile)
    width = _check_int("width", width, tw, MAX_FRAME_SIDE)
    height = _check_int("height", height, th, MAX_FRAME_SIDE)
    class_names = _check_names("classes", classes, DEFECT_CLASSES)
    if "ok" not in class_names:
        raise ValueError(f"classes {list(class_names)} have no 'ok': frames need it for the tiles without a defect")
    texture_names = _check_names("textures", textures, TEXTURES)
    difficulty = _check_unit_interval("difficulty", difficulty)
    defect_fraction = _check_unit_interval("defect_fraction", defect_fraction)
    if defect_fraction > 0 and len(class_names) < 2:
        raise ValueError("classes has only 'ok': give a defect class too, or defect_fraction 0")
    seed = _check_int("seed", seed, 0)

    rows, cols = height // th, width // tw
    frame_ctx = _Ctx(h=height, w=width, difficulty=difficulty, unit=(th, tw))
    tile_ctx = _Ctx(h=th, w=tw, difficulty=difficulty)
    frames = np.empty((int(count), height, width, 1), dtype=np.uint8)
    labels = np.empty((int(count), rows, cols), dtype=np.int64)
    for i in range(int(count)):
        layout = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, i, _TAG_LAYOUT])))
        labels[i] = _tile_layout(layout, rows * cols, class_names, defect_fraction).reshape(rows, cols)
        frames[i, :, :, 0] = _compose_frame(i, seed, frame_ctx, tile_ctx, labels[i], class_names, texture_names)
    return frames, labels


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
