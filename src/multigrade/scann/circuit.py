"""The axon-hillock neuron's circuit values and the closed forms its behaviour follows.

The membrane node (``C_mem`` to ground) is coupled to the output through ``C_fb``; two
CMOS inverters form the amplifier. Below the first inverter's switching voltage ``V_th``
the membrane integrates its input, ``dV/dt = I_in / (C_mem + C_fb)``; at ``V_th`` the
output switches to ``V_dd`` and ``C_fb`` lifts the membrane by
``ΔV = V_dd C_fb / (C_mem + C_fb)``. While the output is high the reset branch sinks
``I_r``, ``dV/dt = (I_in - I_r) / (C_mem + C_fb)``, until the membrane is back at ``V_th``,
where the output falls and the membrane drops by ``ΔV``. Hence, for a constant input,

* first spike from a discharged membrane: ``t_1 = (C_mem + C_fb) V_th / I_in``,
* spike period: ``T = V_dd C_fb (1 / I_in + 1 / (I_r - I_in))``, of which the output is
  high ``V_dd C_fb / (I_r - I_in)``.

The current trace (the "supply current" of the power channel) is what probes on the supply
pin and on the reset branch's return read together: the input current (the synapses draw it
from the supply), the reset current while the output is high (it returns the membrane's
charge to ground, so over a period it carries as much charge as the input), the first
inverter's short-circuit current (long-channel saturation current of whichever transistor
limits it, ``min(K_n/2 (V - V_tn)², K_p/2 (V_dd - |V_tp| - V)²)``, the input being the
membrane voltage ``V``), and per output edge the charge of the node it lifts:
``V_dd (C_out + C_fb C_mem / (C_mem + C_fb))`` when the output rises, ``V_dd C_int`` (the
first inverter's output node) when it falls, i.e. energy ``C V_dd²`` per edge.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np


Value = float | np.ndarray  # one circuit's value, or one per device and neuron (B, M)


def membrane_swing(vdd: Value, c_mem: Value, c_fb: Value) -> Value:
    """``ΔV = V_dd C_fb / (C_mem + C_fb)``: the membrane's jump at each output edge."""
    return vdd * c_fb / (c_mem + c_fb)


def switching_k_p(k_n: Value, threshold: Value, v_tn: Value, vdd: Value, v_tp: Value) -> Value:
    """The PMOS transconductance that makes ``threshold`` the first inverter's switching
    voltage: ``K_n (V_th - V_tn)² = K_p (V_dd - |V_tp| - V_th)²``."""
    return k_n * ((threshold - v_tn) / (vdd - v_tp - threshold)) ** 2


def rise_charge(vdd: Value, c_out: Value, c_mem: Value, c_fb: Value) -> Value:
    """Charge the supply gives when the output rises: ``V_dd (C_out + C_fb C_mem / (C_mem + C_fb))``."""
    return vdd * (c_out + c_fb * c_mem / (c_mem + c_fb))


@dataclass(frozen=True)
class AxonHillock:
    """Circuit values in SI units (volts, farads, amperes, A/V²). ``k_n`` is the first
    inverter's NMOS transconductance ``μ C_ox W / L``; its PMOS gets the ``k_p`` that puts
    the switching voltage at ``threshold``."""

    vdd: float = 1.8
    c_mem: float = 2.0e-12
    c_fb: float = 0.81e-12
    c_out: float = 10e-15
    c_int: float = 5e-15
    threshold: float = 0.89
    v_tn: float = 0.45
    v_tp: float = 0.45
    k_n: float = 25e-6
    i_reset: float = 10e-9

    def __post_init__(self) -> None:
        for field in fields(self):
            if not getattr(self, field.name) > 0:
                raise ValueError(f"circuit.{field.name} must be positive; got {getattr(self, field.name)!r}")
        if not self.v_tn < self.threshold < self.vdd - self.v_tp:
            raise ValueError(f"circuit.threshold must lie between v_tn ({self.v_tn}) and vdd - v_tp"
                             f" ({self.vdd - self.v_tp}) for both inverter transistors to switch; got {self.threshold}")

    def with_values(self, **values: float) -> "AxonHillock":
        return replace(self, **values)

    @property
    def c_total(self) -> float:
        return self.c_mem + self.c_fb

    @property
    def swing(self) -> float:
        return membrane_swing(self.vdd, self.c_mem, self.c_fb)

    @property
    def k_p(self) -> float:
        return switching_k_p(self.k_n, self.threshold, self.v_tn, self.vdd, self.v_tp)

    @property
    def rise_charge(self) -> float:
        return rise_charge(self.vdd, self.c_out, self.c_mem, self.c_fb)

    @property
    def fall_charge(self) -> float:
        """Charge the supply gives when the output falls (the first inverter's output rises)."""
        return self.vdd * self.c_int

    def first_spike_time(self, i_in: float) -> float:
        """``(C_mem + C_fb) V_th / I_in``: the first spike of a discharged membrane."""
        return self.c_total * self.threshold / i_in

    def period(self, i_in: float) -> float:
        """``V_dd C_fb (1/I_in + 1/(I_r - I_in))`` for a constant input below ``I_r``."""
        if not 0 < i_in < self.i_reset:
            raise ValueError(f"a constant input fires periodically only between 0 and i_reset"
                             f" ({self.i_reset}); got {i_in}")
        return self.vdd * self.c_fb * (1 / i_in + 1 / (self.i_reset - i_in))

    def short_circuit(self, v: np.ndarray, k_p: Value | None = None) -> np.ndarray:
        """The first inverter's short-circuit current at membrane voltage ``v`` (any shape),
        ``min(K_n/2 (V - V_tn)², K_p/2 (V_dd - |V_tp| - V)²)``; ``k_p`` per device where the
        switching voltage varies (else the circuit's)."""
        k_p = self.k_p if k_p is None else k_p
        pull_down = 0.5 * self.k_n * np.clip(v - self.v_tn, 0.0, None) ** 2
        pull_up = 0.5 * k_p * np.clip(self.vdd - self.v_tp - v, 0.0, None) ** 2
        return np.minimum(pull_down, pull_up)
