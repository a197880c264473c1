"""The tests' reference for the side-channel neuron: the axon-hillock neuron as an ngspice
netlist (long-channel level-1 MOSFETs), run in batch mode in a subprocess, against which
the behavioural model of ``multigrade.scann.circuit`` and ``layer`` is checked.

Netlist: a constant input current from the supply into the membrane (``C_mem`` to ground,
``C_fb`` to the output); the first inverter (PMOS and NMOS of length 4 µm, widths giving
``k_n`` and ``k_p`` with a process transconductance of 100 µA/V²) drives node ``a``
(``C_int``); the second inverter (1 µm / 1 µm) drives the output (``C_out``); the reset
branch sinks ``I_r V_out / V_dd`` from the membrane through a 0 V source that measures it.
The trace is the ``V_dd`` source's current plus the reset branch's (see ``circuit``): the
reset current comes from ngspice's own switching of the output, so its timing is checked,
not assumed.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from multigrade.scann.circuit import AxonHillock

PROCESS_KP = 100e-6  # A/V², μ C_ox of both transistor types in the netlist
FIRST_LENGTH = 4e-6  # m, the first inverter's channel length


class NgspiceError(RuntimeError):
    """ngspice is missing or failed; the message says what to do."""


def ngspice_path() -> str:
    path = shutil.which("ngspice")
    if path is None:
        raise NgspiceError("ngspice is not installed: install the Debian package (`apt-get install -y ngspice`,"
                           " which `make ngspice` runs)")
    return path


def netlist(circuit: AxonHillock, i_in: float, duration: float, max_step: float, data_file: Path) -> str:
    """The netlist text of one neuron with constant input ``i_in`` from a discharged start."""
    c = circuit
    width_n = c.k_n / PROCESS_KP * FIRST_LENGTH
    width_p = c.k_p / PROCESS_KP * FIRST_LENGTH
    return f"""* axon-hillock neuron, constant input
.model nch nmos level=1 vto={c.v_tn} kp={PROCESS_KP}
.model pch pmos level=1 vto={-c.v_tp} kp={PROCESS_KP}
Vdd vdd 0 {c.vdd}
Iin vdd mem {i_in}
Cmem mem 0 {c.c_mem}
Cfb mem out {c.c_fb}
M1 a mem vdd vdd pch w={width_p} l={FIRST_LENGTH}
M2 a mem 0 0 nch w={width_n} l={FIRST_LENGTH}
Ca a 0 {c.c_int}
M3 out a vdd vdd pch w=1u l=1u
M4 out a 0 0 nch w=1u l=1u
Cout out 0 {c.c_out}
Breset mem rs I = {c.i_reset} * v(out) / {c.vdd}
Vrs rs 0 0
.ic v(mem)=0 v(out)=0 v(a)={c.vdd}
.control
tran {max_step} {duration} 0 {max_step} uic
wrdata {data_file} v(mem) v(out) i(vdd) i(vrs)
quit 0
.endc
.end
"""


@dataclass
class SpiceTrace:
    """ngspice's transient: ``time``, ``membrane``, ``output`` (V) and ``supply`` (A),
    at its own time points."""

    time: np.ndarray
    membrane: np.ndarray
    output: np.ndarray
    supply: np.ndarray
    vdd: float

    def spike_times(self) -> np.ndarray:
        """Times the output rises through ``V_dd / 2`` (linearly interpolated)."""
        half = self.vdd / 2
        index = np.nonzero((self.output[:-1] < half) & (self.output[1:] >= half))[0]
        t0, t1 = self.time[index], self.time[index + 1]
        v0, v1 = self.output[index], self.output[index + 1]
        return t0 + (half - v0) / (v1 - v0) * (t1 - t0)

    def charge(self, start: float, stop: float) -> float:
        """∫ supply dt over [start, stop] (trapezoids on ngspice's points)."""
        keep = (self.time >= start) & (self.time <= stop)
        return float(np.trapezoid(self.supply[keep], self.time[keep]))


def run_ngspice(circuit: AxonHillock, i_in: float, duration: float, max_step: float = 0.1e-6,
                timeout: float = 120.0) -> SpiceTrace:
    """Simulate one neuron in ngspice (batch mode, a subprocess) and read its output."""
    executable = ngspice_path()
    with tempfile.TemporaryDirectory(prefix="axon_hillock_") as folder:
        data_file = Path(folder) / "trace.txt"
        deck = Path(folder) / "neuron.cir"
        deck.write_text(netlist(circuit, i_in, duration, max_step, data_file))
        done = subprocess.run([executable, "-b", str(deck)], capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0 or not data_file.is_file():
            raise NgspiceError(f"ngspice failed (exit code {done.returncode}) on {deck.name}:\n{done.stdout[-2000:]}"
                               f"{done.stderr[-2000:]}")
        columns = np.loadtxt(data_file)
    # wrdata writes (time, value) pairs; the source's current is negative when it delivers
    time, membrane, output = columns[:, 0], columns[:, 1], columns[:, 3]
    supply = -columns[:, 5] + columns[:, 7]
    return SpiceTrace(time, membrane, output, supply, circuit.vdd)
