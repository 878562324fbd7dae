"""Fit the `estimate --fast` model to Yosys synthesis and write lepton_hw/estimate/fast_model.json.

The calibration set: random models from lepton_hw.testing.models (seeds 200-209, da kernel) and,
when present, the trained examples' cores (build/camera_defects/rtl and build/digits/rtl; `make demo`
writes the first). Each is synthesized once per FPGA family (cached in $LEPTON_HW_CACHE/estimate).
Prints the features, the synthesized and modelled LUT/FF and the error of every design.

    python bench/calibrate_fast.py [--seeds 200-209] [--out lepton_hw/estimate/fast_model.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
from scipy.optimize import nnls

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lepton_hw.boards import all_boards  # noqa: E402
from lepton_hw.estimate.fast import FF_FEATURES, LUT_FEATURES, features  # noqa: E402
from lepton_hw.estimate.synth import run_synth, synth_plan  # noqa: E402

FAMILY_BOARD = {}
for _board in all_boards():
    FAMILY_BOARD.setdefault(_board.family, _board)


def random_cores(seeds: list[int], folder: Path) -> list[tuple[str, Path]]:
    from lepton_hw.backends.rtl import build_rtl, write_rtl
    from lepton_hw.errors import UnsupportedLayerError
    from lepton_hw.frontend.keras_env import tf_keras
    from lepton_hw.frontend.qkeras import import_model
    from lepton_hw.testing.models import random_model

    cores = []
    for seed in seeds:
        tf_keras().backend.clear_session()
        _, model = random_model(seed)
        path = folder / f"model_{seed}.h5"
        model.save(path)
        try:
            project = build_rtl(import_model(path), kernel="da")
        except UnsupportedLayerError as err:
            print(f"seed {seed}: skipped ({err})")
            continue
        write_rtl(project, folder / f"seed{seed}" / "rtl", force=True)
        cores.append((f"random seed {seed}", folder / f"seed{seed}" / "rtl"))
    return cores


def fit(rows: list[tuple[dict, float]], names: tuple[str, ...]) -> tuple[dict[str, float], list[float]]:
    x = np.array([[f[n] for n in names] for f, _ in rows], dtype=float)
    y = np.array([target for _, target in rows], dtype=float)
    # relative least squares: every design counts alike, small or large
    weights = 1.0 / np.maximum(y, 1.0)
    coef, _ = nnls(x * weights[:, None], y * weights)  # no negative cost per feature
    predicted = x @ coef
    errors = [100.0 * (p - t) / max(t, 1.0) for p, t in zip(predicted, y, strict=True)]
    return {n: round(float(c), 5) for n, c in zip(names, coef, strict=True)}, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="200-209")
    parser.add_argument("--out", default=str(ROOT / "lepton_hw" / "estimate" / "fast_model.json"))
    args = parser.parse_args()
    low, _, high = args.seeds.partition("-")
    seeds = list(range(int(low), int(high or low) + 1))
    # a fixed folder: the Verilog names the model file it came from, and the synthesis cache keys on the text
    calibration = ROOT / "build" / "calibration"
    calibration.mkdir(parents=True, exist_ok=True)
    cores = random_cores(seeds, calibration)
    for name in ("camera_defects", "digits"):
        if (ROOT / "build" / name / "rtl" / "core.json").exists():
            cores.append((f"example {name}", ROOT / "build" / name / "rtl"))
    feats = {label: features(rtl) for label, rtl in cores}
    model: dict = {"format": "lepton_hw.estimate.fast_model", "features": {"lut": LUT_FEATURES, "ff": FF_FEATURES}}
    model["families"] = {}
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # one Yosys process per job
        jobs = {(family, label): pool.submit(run_synth, synth_plan(rtl, board))
                for family, board in FAMILY_BOARD.items() for label, rtl in cores}  # fmt: skip
    for family, board in FAMILY_BOARD.items():
        measured = [(label, jobs[family, label].result().usage) for label, _ in cores]
        lut_coef, lut_err = fit([(feats[lb], u.lut) for lb, u in measured], LUT_FEATURES)
        ff_coef, ff_err = fit([(feats[lb], u.ff) for lb, u in measured], FF_FEATURES)
        model["families"][family] = {
            "lut": lut_coef,
            "ff": ff_coef,
            "designs": len(measured),
            "lut_max_error_pct": round(max(abs(e) for e in lut_err), 1),
            "ff_max_error_pct": round(max(abs(e) for e in ff_err), 1),
        }
        print(f"\n{family} ({board.id}): LUT {lut_coef}\n  FF {ff_coef}")
        print(f"  {'design':28s} {'LUT':>7s} {'err%':>6s} {'FF':>6s} {'err%':>6s}")
        for (label, usage), le, fe in zip(measured, lut_err, ff_err, strict=True):
            print(f"  {label:28s} {usage.lut:7.0f} {le:+6.1f} {usage.ff:6.0f} {fe:+6.1f}")
    Path(args.out).write_text(json.dumps(model, indent=1) + "\n")
    print(f"\n-> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
