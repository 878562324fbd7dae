"""predict_csim compiles once per design (one INFO line), then reuses the cached library."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from lepton_hw.backends.hls import predict_csim
from lepton_hw.errors import InputDataError
from lepton_hw.ir import interp
from tests.backends.hls.test_project import _graph
from tests.helpers import assert_bit_exact

pytestmark = pytest.mark.hls


def test_compiles_once_and_caches(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    graph = _graph("avg")
    rng = np.random.default_rng(7)
    raw = rng.integers(0, 256, size=(16, 8, 8, 1))
    raw[0], raw[1] = 0, 255
    with caplog.at_level(logging.INFO, logger="lepton_hw"):
        first = predict_csim(graph, raw, cache_dir=tmp_path)
    compiling = [r.getMessage() for r in caplog.records if "compiling" in r.getMessage()]
    assert len(compiling) == 1 and compiling[0].startswith("compiling C simulation (about ")
    assert_bit_exact(np.asarray(interp.run(graph, raw)).reshape(16, -1), first, "average-pooling graph")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="lepton_hw"):
        again = predict_csim(graph, raw[::-1], cache_dir=tmp_path)
    assert not [r for r in caplog.records if "compiling" in r.getMessage()]
    assert np.array_equal(again, first[::-1])
    assert len([p for p in tmp_path.iterdir() if p.name.startswith("net-")]) == 1
    with pytest.raises(InputDataError, match="does not match"):
        predict_csim(graph, raw[:, :4], cache_dir=tmp_path)
    with pytest.raises(InputDataError, match="out of the range"):
        predict_csim(graph, raw + 256, cache_dir=tmp_path)
