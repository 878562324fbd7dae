"""Cache entries are published whole, once: a second run of the same key leaves the first one's in place."""

from __future__ import annotations

from pathlib import Path

from lepton_hw.fsutil import publish_cache_entry


def _entry(parent: Path, name: str, text: str) -> Path:
    work = parent / name
    work.mkdir()
    (work / "netlist.json").write_text(text)
    (work / "result.json").write_text("{}")
    return work


def test_the_first_published_entry_stays_and_the_second_is_dropped(tmp_path: Path) -> None:
    folder = tmp_path / "ecp5-key"
    publish_cache_entry(_entry(tmp_path, ".work-a", "first"), folder, "result.json")
    second = _entry(tmp_path, ".work-b", "second")
    publish_cache_entry(second, folder, "result.json")
    assert (folder / "netlist.json").read_text() == "first"
    assert not second.exists()


def test_an_incomplete_leftover_is_replaced(tmp_path: Path) -> None:
    folder = tmp_path / "ecp5-key"
    folder.mkdir()
    (folder / "netlist.json").write_text("half")  # no result.json: a run killed before it finished
    publish_cache_entry(_entry(tmp_path, ".work", "whole"), folder, "result.json")
    assert (folder / "netlist.json").read_text() == "whole" and (folder / "result.json").exists()
