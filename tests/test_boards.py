"""The board database: the shipped boards, and one message per mistake in a bad board file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lepton_hw.boards import all_boards, board_ids, format_table, get_board, load_board
from lepton_hw.errors import BoardError

# (id, part, LUT, FF, DSP, block RAM count), typed in from shared/BOARDS.md (the vendors' data sheets):
# an independent source, not read from the board files under test.
EXPECTED = [
    ("pynq-z2", "xc7z020clg400-1", 53_200, 106_400, 220, 140),
    ("arty-a7-35", "xc7a35ticsg324-1L", 20_800, 41_600, 90, 50),
    ("arty-a7-100", "xc7a100tcsg324-1", 63_400, 126_800, 240, 135),
    ("kv260", "xck26-sfvc784-2LV-c", 117_120, 234_240, 1_248, 144),
    ("zcu104", "xczu7ev-ffvc1156-2-e", 230_400, 460_800, 1_728, 312),
    ("zcu102", "xczu9eg-ffvb1156-2-e", 274_080, 548_160, 2_520, 912),
    ("ulx3s-85f", "LFE5U-85F-6BG381C", 83_640, 83_640, 156, 208),
    ("ecp5-25f", "LFE5U-25F-6BG381C", 24_288, 24_288, 28, 56),
    ("icebreaker", "iCE40UP5K-SG48", 5_280, 5_280, 8, 30),
    ("crosslink-nx", "LIFCL-40-9BG400C", 39_600, 39_600, 56, 84),
    ("tang-nano-9k", "GW1NR-LV9QN88PC6/I5", 8_640, 6_480, 20, 26),
]

GOOD = yaml.safe_load(
    """
id: my-board
name: My board
vendor: lattice
family: ecp5
part: LFE5U-25F-6BG381C
package: CABGA381
speed_grade: "6"
resources:
  lut: 24288
  ff: 24288
  dsp: 28
  dsp_kind: MULT18X18D
  bram: {count: 56, kbits: 18, kind: EBR}
clock_mhz: 25
synth: {yosys: synth_ecp5}
pnr: {tool: nextpnr-ecp5, args: ["--25k", "--package", "CABGA381"], out_of_context: true}
notes: a test board
"""
)


def test_exactly_the_reference_boards_are_shipped() -> None:
    assert sorted(board_ids()) == sorted(row[0] for row in EXPECTED)


@pytest.mark.parametrize(("board_id", "part", "lut", "ff", "dsp", "bram"), EXPECTED)
def test_board_figures_match_the_data_sheets(board_id: str, part: str, lut: int, ff: int, dsp: int, bram: int) -> None:
    board = get_board(board_id)
    assert board.id == board_id
    assert board.part == part
    res = board.resources
    assert (res.lut, res.ff, res.dsp, res.bram.count) == (lut, ff, dsp, bram)
    assert board.clock_mhz > 0 and board.notes


def test_memory_blocks_and_place_and_route() -> None:
    uram = get_board("kv260").resources.uram
    assert uram is not None and uram.total_kbits == 64 * 288
    spram = get_board("icebreaker").resources.spram
    assert spram is not None and (spram.count, spram.kbits) == (4, 256)
    assert get_board("icebreaker").resources.bram.kbits == 4
    assert all(b.pnr is None for b in all_boards() if b.vendor == "xilinx")
    ecp5 = get_board("ulx3s-85f").pnr
    assert ecp5 is not None and ecp5.out_of_context and "--85k" in ecp5.args
    gowin = get_board("tang-nano-9k").pnr
    assert gowin is not None and gowin.tool == "nextpnr-himbaechel-gowin" and gowin.pins["clk"] == "52"
    nexus = get_board("crosslink-nx")
    assert nexus.yosys == "synth_nexus -noccu2 -noiopad" and nexus.pnr is not None and "clk" not in nexus.pnr.pins


def test_shipped_files_load_by_path() -> None:
    folder = Path(__file__).parents[1] / "lepton_hw" / "boards"
    for path in sorted(folder.glob("*.yaml")):
        assert load_board(path) == get_board(path.stem)


def test_unknown_board_lists_the_known_ones() -> None:
    with pytest.raises(BoardError) as err:
        get_board("foo")
    message = str(err.value)
    assert message.startswith("unknown board 'foo'; known boards: ")
    assert all(row[0] in message for row in EXPECTED)


def test_format_table_has_one_row_per_board() -> None:
    boards = all_boards()
    lines = format_table(boards).splitlines()
    assert len(lines) == 2 + len(boards)  # header, rule, one row each
    for board, line in zip(boards, lines[2:], strict=True):
        assert line.startswith(board.id + " ") and board.part in line
    assert "none (yosys counts only)" in format_table([get_board("pynq-z2")])


# ----------------------------------------------------------------------------- bad files
def _write(tmp_path: Path, data: object, name: str = "my-board") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _mistakes(tmp_path: Path, data: object, name: str = "my-board") -> list[str]:
    path = _write(tmp_path, data, name)
    with pytest.raises(BoardError) as err:
        load_board(path)
    lines = str(err.value).splitlines()
    assert all(line.startswith(f"{path}: ") for line in lines)
    return [line.removeprefix(f"{path}: ") for line in lines]


def _with(**changes: object) -> dict:
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    for dotted, value in changes.items():
        *parents, key = dotted.split("__")
        target = data
        for parent in parents:
            target = target[parent]
        if value is _DELETE:
            del target[key]
        else:
            target[key] = value
    return data


_DELETE = object()


def test_good_file_loads(tmp_path: Path) -> None:
    board = load_board(_write(tmp_path, GOOD))
    assert board.id == "my-board" and board.resources.bram.total_kbits == 56 * 18
    assert board.pnr is not None and board.pnr.args == ("--25k", "--package", "CABGA381")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"part": _DELETE}, "part: missing; this key is required"),
        ({"resources__bram": _DELETE}, "resources.bram: missing"),
        ({"resources__lut": "many"}, "resources.lut: must be a positive integer, got 'many'"),
        ({"resources__dsp": 0}, "resources.dsp: must be a positive integer, got 0"),
        ({"resources__bram__count": True}, "resources.bram.count: must be a positive integer, got True"),
        ({"clock_mhz": "fast"}, "clock_mhz: must be a positive number (MHz), got 'fast'"),
        ({"speed_grade": 6}, "speed_grade: must be a string as the vendor writes it"),
        ({"colour": "blue"}, "colour: unknown key; accepted: id, name, vendor"),
        ({"resources__luts": 5}, "resources.luts: unknown key; accepted: lut, ff"),
        ({"vendor": "gowin"}, "family: ecp5 is a lattice family, but vendor is gowin (accepted: gw1n)"),
        ({"vendor": "altera"}, "vendor: must be one of xilinx, lattice, gowin, got 'altera'"),
        ({"family": "virtex"}, "family: must be one of xc7, xcup, ecp5, ice40, nexus, gw1n, got 'virtex'"),
        ({"id": "other-board"}, "id: must equal the file name ('my-board'), got 'other-board'"),
        ({"synth__yosys": "synth_ice40"}, "synth.yosys: family ecp5 is synthesized with synth_ecp5"),
        ({"pnr__tool": "nextpnr-ice40"}, "pnr.tool: family ecp5 is placed and routed with nextpnr-ecp5"),
        ({"pnr__args": ["--25k", 381]}, "pnr.args: must be a list of strings"),
        ({"pnr__out_of_context": False}, "pnr.pins.din: missing"),
        ({"pnr__pins": {"clk": 52}}, "pnr.pins.clk: must be a pin or site name as a quoted string"),
    ],
)
def test_each_mistake_is_named(tmp_path: Path, changes: dict, expected: str) -> None:
    mistakes = _mistakes(tmp_path, _with(**changes))
    assert any(m.startswith(expected) for m in mistakes), mistakes


def test_xilinx_has_no_place_and_route(tmp_path: Path) -> None:
    data = _with(vendor="xilinx", family="xc7", synth__yosys="synth_xilinx -family xc7")
    assert _mistakes(tmp_path, data) == [
        "pnr: family xc7 has no open place-and-route tool here; omit pnr (or set it to null)"
    ]
    data["pnr"] = None
    assert load_board(_write(tmp_path, data)).pnr is None


def test_several_mistakes_are_listed_together(tmp_path: Path) -> None:
    data = _with(name=_DELETE, resources__ff=-1, vendor="xilinx", extra=1)
    mistakes = _mistakes(tmp_path, data, name="wrong-name")
    assert len(mistakes) == 5, mistakes  # name, ff, vendor/family, extra, id
    for key in ("name:", "resources.ff:", "family:", "extra:", "id:"):
        assert any(m.startswith(key) for m in mistakes), (key, mistakes)


def test_not_a_board_file(tmp_path: Path) -> None:
    assert _mistakes(tmp_path, ["a", "list"])[0].startswith("(file): must be a mapping with keys id, name")
    bad = tmp_path / "broken.yaml"
    bad.write_text("id: [unclosed\n")
    with pytest.raises(BoardError, match="not valid YAML"):
        load_board(bad)
    with pytest.raises(BoardError, match="does not exist"):
        load_board(tmp_path / "missing.yaml")
