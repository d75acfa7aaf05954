r"""Stable random nonlinear network (SRNN): a rate network with spike-frequency adaptation
(SFA) and short-term synaptic depression (STD), spec ``srnn.md`` section 1.1.

**Time is in seconds** throughout this module (``tau_*_s``, ``t_s``, inputs' sample
times); rates are in "Hz" (dimensionless in the equations). This differs from the chaos
model (:class:`~netdyn.models.rate.RateNetwork`), whose time is in ms.

Equations, for neuron ``i`` with SFA timescales :math:`\tau_{a,k}` and STD timescales
:math:`\tau_{b,m}` of its population (E or I):

.. math::

    u_{\mathrm{eff},i} &= u_{d,i} - c_i \textstyle\sum_k a_{i,k}, \qquad
    r_i = \phi(u_{\mathrm{eff},i}), \qquad
    p_i = r_i \textstyle\prod_m b_{i,m} \\
    \frac{da_{i,k}}{dt} &= \frac{r_i - a_{i,k}}{\tau_{a,k}}
        \quad (0 \text{ where } c_i = 0) \\
    \frac{db_{i,m}}{dt} &= \frac{1 - b_{i,m}}{\tau_{b,m}} - \frac{F_i\, p_i}{\tau_\mathrm{STD}}
        \quad \text{("matlab", default)} \quad\text{or}\quad
        \frac{1 - b_{i,m}}{\tau_{b,m}} - \frac{b_{i,m} F_i\, r_i}{\tau_\mathrm{STD}}
        \quad \text{("julia")}, \quad (0 \text{ where } F_i = 0) \\
    \tau_d \frac{du_{d,i}}{dt} &= -u_{d,i} + u_{\mathrm{ex},i}(t) + s \textstyle\sum_j M_{ij}\, p_j

with ``M[post, pre]`` and :math:`s` a per-trajectory weight scale (1 by default; see
``weight_scale`` below). The two STD variants coincide for one STD timescale.

State layout
------------
A batch of ``B`` trajectories is one ``(dim, B)`` float64 array, one column per trajectory,
with blocks in the reference's order ``[a_E; a_I; b_E; b_I; u_d]``:

========  ===========================  =============================================
block     rows                         content
========  ===========================  =============================================
``a_E``   ``n_a_E * n_E``              SFA states of the E neurons
``a_I``   ``n_a_I * n_I``              SFA states of the I neurons
``b_E``   ``n_b_E * n_E``              STD states of the E neurons
``b_I``   ``n_b_I * n_I``              STD states of the I neurons
``u_d``   ``n``                        dendritic states of all neurons, by neuron index
========  ===========================  =============================================

Inside a population block the **neuron index runs fastest** (the MATLAB/Julia column-major
packing; the Python port packs timescale-fastest): row ``offset + k * n_pop + j`` holds
timescale ``k`` of the ``j``-th neuron of that population (neurons of a population in
increasing index order), so ``x[block].reshape(n_timescales, n_pop, B)`` is a view.
:attr:`SRNNetwork.layout` (an :class:`SRNNLayout`) gives the slices and index helpers;
``a`` is the union of the two ``a`` blocks and ``b`` of the two ``b`` blocks.

Recording: observers of :mod:`netdyn.record` see the whole ``(dim, B)`` state, so
``SampledUnits(units=layout.u_d_index(...))`` records chosen state rows, and derived
quantities come afterwards from a recorded :class:`~netdyn.record.FullState`, since every
method here treats columns independently: for the ``(time, unit, trajectory)`` record
``X``, ``net.rates(X[:, :, b].T)`` is the ``(n, n_time)`` rate history of trajectory ``b``
(likewise :meth:`~SRNNetwork.synaptic_output`, :meth:`~SRNNetwork.sfa_drive`,
:meth:`~SRNNetwork.std_factor`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Literal, Sequence

import numpy as np
import scipy.sparse as sp

from netdyn.connectivity.dale import default_weight_scale, strongly_connected_dale
from netdyn.errors import ConfigError, positive_float
from netdyn.models import _srnn_kernels as kern
from netdyn.models.inputs import SampledInput
from netdyn.models.nonlinearity import NONLINEARITIES, ArrayFn, Nonlinearity, get_nonlinearity
from netdyn.seeding import SeedLike

__all__ = [
    "ADAPTATIONS",
    "STD_VARIANTS",
    "SRNNLayout",
    "SRNNetwork",
    "basic_example_input",
    "basic_example_network",
    "sfa_timescales",
    "std_timescales",
]

StdVariant = Literal["matlab", "julia"]
STD_VARIANTS: tuple[str, ...] = ("matlab", "julia")
#: Adaptation configurations of the basic example (spec 2): which mechanisms E neurons have.
ADAPTATIONS: tuple[str, ...] = ("none", "sfa", "std", "sfa+std")


# --------------------------------------------------------------------------------------
# default timescales


def sfa_timescales(n_a: int, tau_min_s: float = 0.3, tau_max_s: float = 15.0) -> tuple[float, ...]:
    r"""SFA timescales of the reference, log-spaced: ``logspace(log10 tau_min, log10 tau_max, n_a)`` s.

    ``n_a = 3`` with the defaults gives ``(0.3, 2.1213, 15.0)`` s (spec 1.2). For
    ``n_a = 1`` the single timescale is ``tau_max_s`` (the slowest one, as MATLAB's
    ``logspace`` gives; numpy's would give ``tau_min_s``); ``n_a = 0`` gives ``()``.
    """
    if isinstance(n_a, bool) or not isinstance(n_a, (int, np.integer)) or n_a < 0:
        raise ConfigError("n_a", n_a, "must be an integer >= 0")
    for name, v in (("tau_min_s", tau_min_s), ("tau_max_s", tau_max_s)):
        if not (math.isfinite(v) and v > 0):
            raise ConfigError(name, v, "must be a finite number > 0 (seconds)")
    if n_a == 0:
        return ()
    if n_a == 1:
        return (float(tau_max_s),)
    return tuple(float(v) for v in np.logspace(math.log10(tau_min_s), math.log10(tau_max_s), int(n_a)))


def std_timescales(n_b: int, tau_std_s: float = 0.5) -> tuple[float, ...]:
    r"""STD recovery timescales of the reference: ``(4 tau_STD,)`` s for ``n_b = 1``
    (2 s with the default), else ``logspace(0.6, 9, n_b)`` s, i.e. 3.98 s to 1e9 s, as the
    reference writes it (spec 1.2); ``n_b = 0`` gives ``()``."""
    if isinstance(n_b, bool) or not isinstance(n_b, (int, np.integer)) or n_b < 0:
        raise ConfigError("n_b", n_b, "must be an integer >= 0")
    if not (math.isfinite(tau_std_s) and tau_std_s > 0):
        raise ConfigError("tau_std_s", tau_std_s, "must be a finite number > 0 (seconds)")
    if n_b == 0:
        return ()
    if n_b == 1:
        return (4.0 * float(tau_std_s),)
    return tuple(float(v) for v in np.logspace(0.6, 9.0, int(n_b)))


# --------------------------------------------------------------------------------------
# layout


@dataclass(frozen=True, eq=False)
class SRNNLayout:
    """Where each variable lives in the ``(dim, batch)`` state (see the module docstring).

    Attributes
    ----------
    n_units, dim
        Neurons and state rows.
    e_units, i_units
        ``(n_E,)``, ``(n_I,)`` neuron indices of each population, increasing.
    n_a_e, n_a_i, n_b_e, n_b_i
        SFA / STD timescales per population.
    a_e, a_i, b_e, b_i, u_d
        Row slices of the blocks.
    a, b
        Row slices of all SFA (``a_E`` then ``a_I``) and all STD (``b_E`` then ``b_I``) rows.
    """

    n_units: int
    e_units: np.ndarray
    i_units: np.ndarray
    n_a_e: int
    n_a_i: int
    n_b_e: int
    n_b_i: int

    @cached_property
    def n_e(self) -> int:
        return int(self.e_units.size)

    @cached_property
    def n_i(self) -> int:
        return int(self.i_units.size)

    @cached_property
    def a_e(self) -> slice:
        return slice(0, self.n_a_e * self.n_e)

    @cached_property
    def a_i(self) -> slice:
        return slice(self.a_e.stop, self.a_e.stop + self.n_a_i * self.n_i)

    @cached_property
    def b_e(self) -> slice:
        return slice(self.a_i.stop, self.a_i.stop + self.n_b_e * self.n_e)

    @cached_property
    def b_i(self) -> slice:
        return slice(self.b_e.stop, self.b_e.stop + self.n_b_i * self.n_i)

    @cached_property
    def u_d(self) -> slice:
        return slice(self.b_i.stop, self.b_i.stop + self.n_units)

    @cached_property
    def a(self) -> slice:
        return slice(0, self.a_i.stop)

    @cached_property
    def b(self) -> slice:
        return slice(self.b_e.start, self.b_i.stop)

    @cached_property
    def dim(self) -> int:
        return self.u_d.stop

    def _pop(self, unit: int) -> tuple[bool, int]:
        unit = int(unit)
        if not 0 <= unit < self.n_units:
            raise ConfigError("unit", unit, f"must lie in [0, {self.n_units})")
        j = np.searchsorted(self.e_units, unit)
        if j < self.n_e and self.e_units[j] == unit:
            return True, int(j)
        return False, int(np.searchsorted(self.i_units, unit))

    def a_index(self, unit: int, k: int) -> int:
        """Row of SFA state ``a_{unit, k}``."""
        exc, j = self._pop(unit)
        n_k, n_p, block = (self.n_a_e, self.n_e, self.a_e) if exc else (self.n_a_i, self.n_i, self.a_i)
        if not 0 <= k < n_k:
            raise ConfigError("k", k, f"neuron {unit} has {n_k} SFA timescales")
        return block.start + k * n_p + j

    def b_index(self, unit: int, m: int) -> int:
        """Row of STD state ``b_{unit, m}``."""
        exc, j = self._pop(unit)
        n_m, n_p, block = (self.n_b_e, self.n_e, self.b_e) if exc else (self.n_b_i, self.n_i, self.b_i)
        if not 0 <= m < n_m:
            raise ConfigError("m", m, f"neuron {unit} has {n_m} STD timescales")
        return block.start + m * n_p + j

    def u_d_index(self, unit: int | Sequence[int] | np.ndarray) -> int | np.ndarray:
        """Row(s) of the dendritic state(s) of ``unit`` (an int or an array of ints)."""
        u = np.asarray(unit)
        if u.size and (u.min() < 0 or u.max() >= self.n_units):
            raise ConfigError("unit", unit, f"must lie in [0, {self.n_units})")
        rows = self.u_d.start + u
        return int(rows) if rows.ndim == 0 else rows

    def labels(self) -> list[str]:
        """One label per state row: ``"a[i,k]"``, ``"b[i,m]"``, ``"u_d[i]"`` (neuron ``i``)."""
        out: list[str] = []
        for name, n_k, units in (("a", self.n_a_e, self.e_units), ("a", self.n_a_i, self.i_units),
                                 ("b", self.n_b_e, self.e_units), ("b", self.n_b_i, self.i_units)):
            out += [f"{name}[{i},{k}]" for k in range(n_k) for i in units]
        out += [f"u_d[{i}]" for i in range(self.n_units)]
        return out


@dataclass(frozen=True, eq=False)
class _Pop:
    """Precomputed per-population arrays (private)."""

    sel: slice | np.ndarray  # neurons of the population (a slice when contiguous)
    n: int
    a: slice
    inv_tau_a: np.ndarray  # (n_a,)
    c: np.ndarray  # (n,)
    c_mask: np.ndarray | None  # (n,) 1.0 / 0.0 where c != 0 / == 0; None when all != 0
    b: slice
    inv_tau_b: np.ndarray  # (n_b,)
    f_over_tau: np.ndarray  # (n,) F / tau_STD
    f_mask: np.ndarray | None

    def __post_init__(self) -> None:
        # broadcast-ready copies for the hot path
        mask = np.ones(self.n) if self.c_mask is None else self.c_mask
        object.__setattr__(self, "c_col", self.c[:, None])
        object.__setattr__(self, "a_rate", (self.inv_tau_a[:, None] * mask[None, :])[:, :, None])
        object.__setattr__(self, "b_rate", self.inv_tau_b[:, None, None])
        object.__setattr__(self, "f_col", self.f_over_tau[:, None])

    @property
    def n_a(self) -> int:
        return int(self.inv_tau_a.size)

    @property
    def n_b(self) -> int:
        return int(self.inv_tau_b.size)


def _selector(units: np.ndarray) -> slice | np.ndarray:
    if units.size and np.array_equal(units, np.arange(units[0], units[0] + units.size)):
        return slice(int(units[0]), int(units[0]) + units.size)
    return units


def _timescales(value: Any, field: str) -> tuple[float, ...]:
    try:
        vals = tuple(float(v) for v in (np.atleast_1d(value) if np.ndim(value) == 0 else value))
    except (TypeError, ValueError):
        raise ConfigError(field, value, "must be a sequence of timescales in seconds") from None
    if not all(math.isfinite(v) and v > 0 for v in vals):
        raise ConfigError(field, value, "timescales must be finite numbers > 0 (seconds)")
    return vals


_positive = positive_float


# --------------------------------------------------------------------------------------
# the model


@dataclass(frozen=True, eq=False)
class SRNNetwork:
    r"""A rate network with SFA and STD (spec ``srnn.md`` 1.1), independent of how it is
    integrated. Time in **seconds**. Equations and state layout: see the module docstring.

    Parameters
    ----------
    weights
        ``(n, n)`` weights ``M[post, pre]``, dense ndarray or scipy.sparse (stored as CSR).
    is_excitatory
        ``(n,)`` bool: population of each neuron (E: True). Sets which SFA/STD timescales,
        ``c_SFA`` and ``F_STD`` defaults a neuron gets; signs of ``weights`` are not checked.
    tau_d_s
        Dendritic time constant :math:`\tau_d` in s (reference: 0.025).
    tau_a_e_s, tau_a_i_s
        SFA timescales :math:`\tau_{a,k}` (s) of E and I neurons; ``()`` = no SFA (the
        reference: :func:`sfa_timescales` ``(3)`` = (0.3, 2.12, 15) s for E, none for I).
    tau_b_e_s, tau_b_i_s
        STD recovery timescales :math:`\tau_{b,m}` (s); ``()`` = no STD (reference:
        ``(2.0,)`` for E, none for I).
    tau_std_s
        STD onset constant :math:`\tau_\mathrm{STD}` in s (reference: 0.5).
    c_sfa
        SFA gain :math:`c_i`: ``None`` (default: ``1 / n_a`` of the neuron's population, 0
        where the population has no SFA), a scalar for every neuron whose population has
        SFA, or an ``(n,)`` array (must be 0 where the population has no SFA). Neurons with
        :math:`c_i = 0` keep their ``a`` constant.
    f_std
        STD strength :math:`F_i`: ``None`` (default: 1 where the population has STD, else 0),
        a scalar for those neurons, or ``(n,)`` (0 where the population has no STD).
        Neurons with :math:`F_i = 0` keep their ``b`` constant.
    phi
        Transfer function: ``"relu"`` (default, :math:`\max(0, x)`), any registry name of
        :mod:`netdyn.models.nonlinearity`, a :class:`~netdyn.models.Nonlinearity`, or a
        vectorised callable (then give ``phi_derivative`` for exact Jacobians).
    std_variant
        ``"matlab"`` (default; MATLAB and Python ports): :math:`-F p/\tau_\mathrm{STD}`;
        ``"julia"``: :math:`-b_m F r/\tau_\mathrm{STD}` (differs for >= 2 STD timescales).
    external_input
        :math:`u_\mathrm{ex}(t)`: ``None`` (0); a constant ``(n,)`` array; a
        :class:`~netdyn.models.inputs.SampledInput` (samples interpolated linearly; outside
        its range an error by default, NaN as the reference with ``outside="nan"``); or a
        callable ``u(t_s)`` returning ``(n,)`` or ``(n, batch)``.
    phi_derivative
        Derivative of a user callable ``phi``.

    Notes
    -----
    Per-trajectory parameters: every method that evaluates the dynamics takes
    ``weight_scale`` (scalar or ``(batch,)``): column ``b`` uses the weights
    ``weight_scale[b] * M``, so one batch can sweep the weight scale (as the chaos
    engine's gain). Pass it to :func:`netdyn.engines.ode.integrate_ode` as
    ``params={"weight_scale": ...}``.
    """

    weights: np.ndarray | sp.sparray
    is_excitatory: np.ndarray
    tau_d_s: float = 0.025
    tau_a_e_s: tuple[float, ...] = ()
    tau_a_i_s: tuple[float, ...] = ()
    tau_b_e_s: tuple[float, ...] = ()
    tau_b_i_s: tuple[float, ...] = ()
    tau_std_s: float = 0.5
    c_sfa: float | np.ndarray | None = None
    f_std: float | np.ndarray | None = None
    phi: str | Nonlinearity | ArrayFn = "relu"
    std_variant: StdVariant = "matlab"
    external_input: Any = None
    phi_derivative: ArrayFn | None = field(default=None, repr=False)

    #: Time unit of ``t``, of every timescale and of ``integrate_ode``'s ``t0, t1, dt``.
    time_unit: ClassVar[str] = "s"

    # ---------------------------------------------------------------- construction
    def __post_init__(self) -> None:
        w = self.weights
        if sp.issparse(w):
            w = sp.csr_array(w, dtype=np.float64)
            w.sort_indices()
            finite = np.all(np.isfinite(w.data))
        else:
            w = np.array(w, dtype=np.float64, copy=True)
            finite = np.all(np.isfinite(w))
        if w.ndim != 2 or w.shape[0] != w.shape[1] or w.shape[0] < 1:
            raise ConfigError("weights", getattr(w, "shape", None), "must be a square (n, n) matrix")
        if not finite:
            raise ConfigError("weights", "non-finite entries", "weights must be finite")
        n = w.shape[0]
        if not sp.issparse(w):
            w.setflags(write=False)
        object.__setattr__(self, "weights", w)

        exc = np.asarray(self.is_excitatory)
        if exc.shape != (n,) or not (exc.dtype == bool or np.isin(exc, (0, 1)).all()):
            raise ConfigError("is_excitatory", exc.shape, f"must be a boolean array of shape ({n},)")
        exc = exc.astype(bool)
        exc.setflags(write=False)
        object.__setattr__(self, "is_excitatory", exc)

        object.__setattr__(self, "tau_d_s", _positive(self.tau_d_s, "tau_d_s"))
        object.__setattr__(self, "tau_std_s", _positive(self.tau_std_s, "tau_std_s"))
        for name in ("tau_a_e_s", "tau_a_i_s", "tau_b_e_s", "tau_b_i_s"):
            object.__setattr__(self, name, _timescales(getattr(self, name), name))
        if self.std_variant not in STD_VARIANTS:
            raise ConfigError("std_variant", self.std_variant, f"expected one of {list(STD_VARIANTS)}")
        object.__setattr__(self, "phi", get_nonlinearity(self.phi, self.phi_derivative))

        e_units, i_units = np.flatnonzero(exc), np.flatnonzero(~exc)
        layout = SRNNLayout(n, e_units, i_units, len(self.tau_a_e_s), len(self.tau_a_i_s),
                            len(self.tau_b_e_s), len(self.tau_b_i_s))
        has_sfa = np.where(exc, layout.n_a_e > 0, layout.n_a_i > 0)
        has_std = np.where(exc, layout.n_b_e > 0, layout.n_b_i > 0)
        n_a = np.where(exc, layout.n_a_e, layout.n_a_i)
        c = self._per_neuron(self.c_sfa, "c_sfa", has_sfa, np.where(has_sfa, 1.0 / np.maximum(n_a, 1), 0.0))
        f = self._per_neuron(self.f_std, "f_std", has_std, has_std.astype(np.float64))
        if np.any(f < 0):
            raise ConfigError("f_std", self.f_std, "must be >= 0")
        object.__setattr__(self, "c_sfa", c)
        object.__setattr__(self, "f_std", f)

        inp = self.external_input
        if isinstance(inp, SampledInput):
            if inp.n_units != n:
                raise ConfigError("external_input", inp.values.shape, f"samples must have {n} columns (one per neuron)")
        elif inp is not None and not callable(inp):
            inp = np.array(inp, dtype=np.float64, copy=True)
            if inp.shape != (n,) or not np.all(np.isfinite(inp)):
                raise ConfigError("external_input", np.shape(inp), f"a constant input must be a finite ({n},) array")
            inp.setflags(write=False)
            object.__setattr__(self, "external_input", inp)

        pops = []
        for units, a_sl, taus_a, b_sl, taus_b in ((e_units, layout.a_e, self.tau_a_e_s, layout.b_e, self.tau_b_e_s),
                                                 (i_units, layout.a_i, self.tau_a_i_s, layout.b_i, self.tau_b_i_s)):
            cu, fu = c[units], f[units]
            pops.append(_Pop(
                sel=_selector(units), n=int(units.size), a=a_sl,
                inv_tau_a=1.0 / np.asarray(taus_a, dtype=np.float64), c=cu,
                c_mask=None if np.all(cu != 0) else (cu != 0).astype(np.float64),
                b=b_sl, inv_tau_b=1.0 / np.asarray(taus_b, dtype=np.float64),
                f_over_tau=fu / self.tau_std_s,
                f_mask=None if np.all(fu != 0) else (fu != 0).astype(np.float64),
            ))
        object.__setattr__(self, "_layout", layout)
        object.__setattr__(self, "_sfa_pops", tuple(p for p in pops if p.n and p.n_a))
        object.__setattr__(self, "_std_pops", tuple(p for p in pops if p.n and p.n_b))
        object.__setattr__(self, "_tables", self._row_tables(pops))

    def _row_tables(self, pops: list[_Pop]) -> dict[str, Any] | None:
        """Row-level arrays for the numba kernels; None when phi is not built in."""
        phi = self.phi
        if NONLINEARITIES.get(phi.name) is not phi:
            return None
        lay = self._layout
        units = (lay.e_units, lay.i_units)
        a_unit = np.concatenate([np.tile(u, p.n_a) for u, p in zip(units, pops)]).astype(np.int64)
        a_rate = np.concatenate([p.a_rate.ravel() for p in pops])
        b_unit = np.concatenate([np.tile(u, p.n_b) for u, p in zip(units, pops)]).astype(np.int64)
        b_rate = np.concatenate([np.repeat(p.inv_tau_b, p.n) for p in pops])
        b_fo = np.concatenate([np.tile(p.f_over_tau, p.n_b) for p in pops])
        b_mask = np.concatenate([np.tile(np.ones(p.n) if p.f_mask is None else p.f_mask, p.n_b) for p in pops])
        # STD rows of the same neuron, for the exclusive products of the jvp (-1 padded)
        max_nb = max([p.n_b for p in pops] + [1])
        b_sib = np.full((b_unit.size, max_nb), -1, dtype=np.int64)
        order = np.argsort(b_unit, kind="stable")
        units_sorted = b_unit[order]
        starts = np.searchsorted(units_sorted, b_unit, side="left")
        counts = np.searchsorted(units_sorted, b_unit, side="right") - starts
        for m in range(max_nb):
            ok = m < counts
            b_sib[ok, m] = order[starts[ok] + m]
        return dict(b_sib=b_sib,
            n=self.n_units, ud_off=lay.u_d.start, a_unit=a_unit, a_rate=a_rate.astype(np.float64),
            c=np.ascontiguousarray(self.c_sfa), b_off=lay.b.start, b_unit=b_unit, b_rate=b_rate.astype(np.float64),
            b_fo=b_fo.astype(np.float64), b_mask=b_mask.astype(np.float64), julia=self.std_variant == "julia",
            phi_code=kern.PHI_CODES[phi.name],
        )

    def _per_neuron(self, value: Any, name: str, allowed: np.ndarray, default: np.ndarray) -> np.ndarray:
        n = allowed.size
        if value is None:
            out = default
        elif np.ndim(value) == 0:
            v = float(value)
            if not math.isfinite(v):
                raise ConfigError(name, value, "must be finite")
            out = np.where(allowed, v, 0.0)
        else:
            out = np.array(value, dtype=np.float64, copy=True)
            if out.shape != (n,) or not np.all(np.isfinite(out)):
                raise ConfigError(name, np.shape(value), f"must be a scalar or a finite ({n},) array")
            if np.any(out[~allowed] != 0):
                raise ConfigError(name, value, "must be 0 for neurons whose population has no such timescales")
        out = np.array(out, dtype=np.float64)
        out.setflags(write=False)
        return out

    # ---------------------------------------------------------------- sizes
    @property
    def n_units(self) -> int:
        """Number of neurons ``n``."""
        return int(self.weights.shape[0])

    @property
    def layout(self) -> SRNNLayout:
        """Slices and index helpers of the state vector."""
        return self._layout

    @property
    def dim(self) -> int:
        """Rows of the state: ``n_a_E n_E + n_a_I n_I + n_b_E n_E + n_b_I n_I + n``."""
        return self._layout.dim

    @property
    def is_sparse(self) -> bool:
        """True when the weights are stored as CSR."""
        return sp.issparse(self.weights)

    @property
    def has_adaptation(self) -> bool:
        """True when any neuron has an SFA or STD state."""
        return self.dim > self.n_units

    def initial_state(self, batch: int = 1) -> np.ndarray:
        """The reference's initial state, ``(dim, batch)``: ``a = 0``, ``b = 1``, ``u_d = 0``."""
        if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or batch < 1:
            raise ConfigError("batch", batch, "must be an integer >= 1")
        x = np.zeros((self.dim, int(batch)))
        x[self._layout.b] = 1.0
        return x

    def input_at(self, t_s: float) -> np.ndarray | None:
        """External input at ``t_s``: ``None`` (zero), ``(n,)`` or ``(n, batch)``."""
        inp = self.external_input
        if inp is None or isinstance(inp, np.ndarray):
            return inp
        return np.asarray(inp(t_s), dtype=np.float64)

    # ---------------------------------------------------------------- observables
    def _as2d(self, state: np.ndarray) -> tuple[np.ndarray, bool]:
        x = np.asarray(state, dtype=np.float64)
        single = x.ndim == 1
        if single:
            x = x[:, None]
        if x.ndim != 2 or x.shape[0] != self.dim:
            raise ConfigError("state", np.shape(state), f"must be ({self.dim},) or ({self.dim}, batch)")
        return x, single

    def _sfa_sum(self, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``out[i] = c_i * sum_k a_{i,k}`` (rows of neurons without SFA untouched);
        ``x`` is ``(dim, ...)``, ``out`` ``(n, ...)``."""
        tail = x.shape[1:]
        for p in self._sfa_pops:
            s = np.add.reduce(x[p.a].reshape(p.n_a, p.n, *tail), axis=0)
            s *= p.c.reshape(p.n, *([1] * len(tail)))
            out[p.sel] = s
        return out

    def _effective_drive(self, x: np.ndarray) -> np.ndarray:
        """``(n, batch)`` new array ``u_d - c sum_k a_k``."""
        u = x[self._layout.u_d].copy()
        batch = x.shape[1]
        for p in self._sfa_pops:
            s = np.add.reduce(x[p.a].reshape(p.n_a, p.n, batch), axis=0)
            s *= p.c_col
            u[p.sel] -= s
        return u

    def _std_product(self, x: np.ndarray) -> np.ndarray | None:
        """``prod_m b_{i,m}`` as ``(n, batch)``; ``None`` when no neuron has STD."""
        if not self._std_pops:
            return None
        out = np.ones((self.n_units, x.shape[1]))
        for p in self._std_pops:
            out[p.sel] = np.multiply.reduce(x[p.b].reshape(p.n_b, p.n, x.shape[1]), axis=0)
        return out

    def effective_drive(self, state: np.ndarray) -> np.ndarray:
        r"""``(n, batch)`` :math:`u_\mathrm{eff} = u_d - c \sum_k a_k` (``(n,)`` for one state)."""
        x, single = self._as2d(state)
        u = self._effective_drive(x)
        return u[:, 0] if single else u

    def rates(self, state: np.ndarray) -> np.ndarray:
        r"""``(n, batch)`` rates :math:`r = \phi(u_\mathrm{eff})` (``(n,)`` for one state)."""
        x, single = self._as2d(state)
        r = self.phi.apply_inplace(self._effective_drive(x))
        return r[:, 0] if single else r

    def std_factor(self, state: np.ndarray) -> np.ndarray:
        r"""``(n, batch)`` :math:`\prod_m b_{i,m}` (1 for neurons without STD)."""
        x, single = self._as2d(state)
        s = self._std_product(x)
        if s is None:
            s = np.ones((self.n_units, x.shape[1]))
        return s[:, 0] if single else s

    def sfa_drive(self, state: np.ndarray) -> np.ndarray:
        r"""``(n, batch)`` :math:`c_i \sum_k a_{i,k}` (0 for neurons without SFA)."""
        x, single = self._as2d(state)
        out = self._sfa_sum(x, np.zeros((self.n_units, x.shape[1])))
        return out[:, 0] if single else out

    def synaptic_output(self, state: np.ndarray) -> np.ndarray:
        r"""``(n, batch)`` :math:`p = r \prod_m b_m`."""
        x, single = self._as2d(state)
        r = self.phi.apply_inplace(self._effective_drive(x))
        s = self._std_product(x)
        p = r if s is None else r * s
        return p[:, 0] if single else p

    def clip(self, state: np.ndarray) -> np.ndarray:
        """Clip the STD states into [0, 1], in place; returns ``state`` (``(dim,)`` or ``(dim, batch)``)."""
        b = state[self._layout.b]
        if b.size:
            np.clip(b, 0.0, 1.0, out=b)
        return state

    # ---------------------------------------------------------------- dynamics
    @staticmethod
    def _scale(weight_scale: Any, batch: int) -> float | np.ndarray:
        if type(weight_scale) is float:
            return weight_scale
        if np.ndim(weight_scale) == 0:
            return float(weight_scale)
        s = np.asarray(weight_scale, dtype=np.float64)
        if s.shape != (batch,):
            raise ConfigError("weight_scale", s.shape, f"must be a scalar or have shape ({batch},)")
        return s

    def rhs(self, t_s: float, state: np.ndarray, out: np.ndarray | None = None, *,
            weight_scale: float | np.ndarray = 1.0) -> np.ndarray:
        r"""Vector field :math:`dx/dt` (1/s) of a batch of states (the module's equations).

        For the built-in transfer functions two compiled kernels (numba) do the elementwise
        work around one BLAS (or sparse) product :math:`M p`; otherwise this is
        :meth:`rhs_numpy`. Both agree to rounding (same operations in the same order;
        ``tanh`` from libm instead of numpy).

        Parameters
        ----------
        t_s
            Time in s (for the input).
        state
            ``(dim, batch)`` states.
        out
            ``(dim, batch)`` buffer for the result (allocated if ``None``).
        weight_scale
            Scalar or ``(batch,)``: column ``b`` uses ``weight_scale[b] * M``.

        Returns
        -------
        ndarray
            ``out``.
        """
        tb = self._tables
        x = state
        if tb is None or x.dtype != np.float64 or not x.flags.c_contiguous:
            return self.rhs_numpy(t_s, x, out, weight_scale=weight_scale)
        n, batch = self.n_units, x.shape[1]
        if out is None:
            out = np.empty_like(x)
        r = np.empty((n, batch))
        p = np.empty((n, batch))
        scratch = np.empty((2, n, batch))
        kern.srnn_pre(x, n, tb["ud_off"], tb["a_unit"], tb["a_rate"], tb["c"], tb["b_off"], tb["b_unit"],
                      tb["b_rate"], tb["b_fo"], tb["b_mask"], tb["julia"], tb["phi_code"], r, p,
                      scratch[0], scratch[1], out)
        if self.is_sparse:
            mp = np.ascontiguousarray(self.weights @ p)
        else:
            mp = np.matmul(self.weights, p, out=r)  # r is no longer needed
        s = self._scale(weight_scale, batch)
        scale = s if not isinstance(s, float) else (_ONES[:batch] if s == 1.0 and batch <= _ONES.size else np.full(batch, s))
        inp = self.input_at(t_s)
        if inp is None:
            inp2 = np.zeros((n, 1))
        else:
            inp2 = np.ascontiguousarray(inp.reshape(n, 1) if inp.shape == (n,) else inp)
            if inp2.shape not in ((n, 1), (n, batch)):
                raise ConfigError("external_input", inp.shape, f"must give ({n},) or ({n}, {batch}) values")
        kern.srnn_post(x, tb["ud_off"], mp, scale, inp2, 1.0 / self.tau_d_s, out)
        return out

    def _compiled_args(self, t_start_s: float, t_end_s: float, batch: int,
                       params: dict[str, Any]) -> tuple | None:
        """Arguments shared by the compiled steppers, or None where they do not apply."""
        tb = self._tables
        if tb is None or set(params) - {"weight_scale"}:
            return None
        inp = self.external_input
        dummy = np.zeros((1, 1))
        if inp is None:
            kind, ts, vals, inv = 0, np.zeros(2), dummy, 0.0
        elif isinstance(inp, np.ndarray):
            kind, ts, vals, inv = 1, np.zeros(2), np.ascontiguousarray(inp[None, :]), 0.0
        elif isinstance(inp, SampledInput):
            lo, hi = inp.span
            tol = 1e-9 * max(1.0, hi - lo)
            if t_start_s < lo - tol or t_end_s > hi + tol:
                return None  # the Python path raises (or gives NaN / holds) as the input says
            kind, ts, vals = 2, np.ascontiguousarray(inp.t), np.ascontiguousarray(inp.values)
            inv = float(inp._inv_step) if inp._inv_step is not None else 0.0
        else:
            return None
        scale = np.ascontiguousarray(np.broadcast_to(self._scale(params.get("weight_scale", 1.0), batch), (batch,)),
                                     dtype=np.float64)
        if self.is_sparse:
            w = self.weights
            weights = (True, dummy, w.data, w.indices.astype(np.int64), w.indptr.astype(np.int64))
        else:
            weights = (False, np.ascontiguousarray(self.weights), np.zeros(1), np.zeros(1, dtype=np.int64),
                       np.zeros(1, dtype=np.int64))
        b = self._layout.b
        model = (self.n_units, tb["ud_off"], tb["a_unit"], tb["a_rate"], tb["c"], tb["b_off"], tb["b_unit"],
                 tb["b_rate"], tb["b_fo"], tb["b_mask"])
        tail = weights + (scale, kind, ts, vals, inv, 1.0 / self.tau_d_s, b.start, b.stop)
        return model, (tb["julia"], tb["phi_code"]), tb["b_sib"], tail

    def compiled_rk4(self, t_start_s: float, t_end_s: float, batch: int,
                     params: dict[str, Any]) -> Any:
        """A compiled RK4 stepper for :func:`netdyn.engines.ode.integrate_ode`, or ``None``.

        Available for the built-in transfer functions and an input that is ``None``, a
        constant array or a :class:`~netdyn.models.inputs.SampledInput` covering
        ``[t_start_s, t_end_s]``; otherwise the engine's Python loop runs (same
        operations; the dense product's summation order may differ in the last bit).
        The stepper ``advance(x, t0, k0, dt, n_steps, clip, threshold, active, runaway,
        runaway_time)`` advances ``x`` in place and returns -1 or the grid step that
        produced a non-finite value.
        """
        args = self._compiled_args(t_start_s, t_end_s, batch, params)
        if args is None:
            return None
        model, flags, _, tail = args

        def advance(x: np.ndarray, t0: float, k0: int, dt: float, n_steps: int, clip: bool, threshold: float,
                    active: np.ndarray, runaway: np.ndarray, runaway_time: np.ndarray) -> int:
            return int(kern.srnn_rk4_steps(x, n_steps, t0, k0, dt, *model, *flags, *tail, clip, threshold, active,
                                           runaway, runaway_time))

        return advance

    def compiled_rk4_tangent(self, t_start_s: float, t_end_s: float, batch: int,
                             params: dict[str, Any]) -> Any:
        """A compiled RK4 stepper of states and tangent vectors for
        :func:`netdyn.analysis.lyapunov.ode_lyapunov_spectrum`, or ``None`` (as
        :meth:`compiled_rk4`). ``advance(x, v, t0, k0, dt, n_steps, clip, threshold,
        runaway, runaway_time)`` advances ``x`` ``(dim, B)`` and ``v`` ``(dim, B, K)`` in
        place (tangents by the exact derivative of each RK4 step)."""
        args = self._compiled_args(t_start_s, t_end_s, batch, params)
        if args is None:
            return None
        model, flags, b_sib, tail = args

        def advance(x: np.ndarray, v: np.ndarray, t0: float, k0: int, dt: float, n_steps: int, clip: bool,
                    threshold: float, runaway: np.ndarray, runaway_time: np.ndarray) -> int:
            return int(kern.srnn_rk4_tangent_steps(x, v, n_steps, t0, k0, dt, *model, b_sib, *flags, *tail, clip,
                                                   threshold, runaway, runaway_time))

        return advance

    def rhs_numpy(self, t_s: float, state: np.ndarray, out: np.ndarray | None = None, *,
                  weight_scale: float | np.ndarray = 1.0) -> np.ndarray:
        r"""Vector field :math:`dx/dt` (1/s) in plain numpy (the reference implementation,
        any transfer function), vectorised over neurons, timescales and trajectories.

        Parameters
        ----------
        t_s
            Time in s (for the input).
        state
            ``(dim, batch)`` states (C-contiguous).
        out
            ``(dim, batch)`` C-contiguous buffer for the result (allocated if ``None``).
        weight_scale
            Scalar or ``(batch,)``: column ``b`` uses ``weight_scale[b] * M``.

        Returns
        -------
        ndarray
            ``out``.
        """
        x = state
        if out is None or not out.flags.c_contiguous:
            res = self.rhs_numpy(t_s, x, np.empty(x.shape), weight_scale=weight_scale)
            if out is None:
                return res
            out[...] = res
            return out
        batch = x.shape[1]
        lay = self._layout
        ud = x[lay.u_d]
        r = self.phi.apply_inplace(self._effective_drive(x))
        if self._std_pops:
            p = r.copy()
            for pop in self._std_pops:
                b3 = x[pop.b].reshape(pop.n_b, pop.n, batch)
                p[pop.sel] *= b3[0] if pop.n_b == 1 else np.multiply.reduce(b3, axis=0)
        else:
            p = r
        for pop in self._sfa_pops:
            a3 = x[pop.a].reshape(pop.n_a, pop.n, batch)
            da = out[pop.a].reshape(pop.n_a, pop.n, batch)
            np.subtract(r[pop.sel], a3, out=da)
            da *= pop.a_rate
        for pop in self._std_pops:
            b3 = x[pop.b].reshape(pop.n_b, pop.n, batch)
            db = out[pop.b].reshape(pop.n_b, pop.n, batch)
            np.subtract(1.0, b3, out=db)
            db *= pop.b_rate
            if self.std_variant == "matlab":
                loss = p[pop.sel] * pop.f_col
            else:
                loss = b3 * (r[pop.sel] * pop.f_col)
            db -= loss
            if pop.f_mask is not None:
                db *= pop.f_mask[None, :, None]
        du = out[lay.u_d]
        if self.is_sparse:
            du[...] = self.weights @ p
        else:
            np.matmul(self.weights, p, out=du)
        s = self._scale(weight_scale, batch)
        if not (isinstance(s, float) and s == 1.0):
            du *= s
        inp = self.input_at(t_s)
        if inp is not None:
            du += inp[:, None] if inp.ndim == 1 else inp
        du -= ud
        du *= 1.0 / self.tau_d_s
        return out

    def jvp(self, t_s: float, state: np.ndarray, tangent: np.ndarray, *,
            weight_scale: float | np.ndarray = 1.0) -> np.ndarray:
        r"""Jacobian-vector product :math:`J(x)\,v` of :meth:`rhs`, analytic, batched (1/s).

        With :math:`\phi'` the derivative of the transfer function (ReLU: the step
        :math:`\mathbb{1}[u_\mathrm{eff} > 0]`, 0 at the kink), :math:`B_i = \prod_m b_{i,m}`
        and :math:`B_{i,\neg m} = \prod_{m' \ne m} b_{i,m'}`:

        .. math::

            \delta u_\mathrm{eff} &= \delta u_d - c \textstyle\sum_k \delta a_k, \quad
            \delta r = \phi'(u_\mathrm{eff})\, \delta u_\mathrm{eff}, \quad
            \delta p = B\, \delta r + r \textstyle\sum_m B_{\neg m}\, \delta b_m \\
            \delta \dot a_k &= (\delta r - \delta a_k)/\tau_{a,k} \quad (0 \text{ where } c = 0) \\
            \delta \dot b_m &= -\delta b_m/\tau_{b,m} - F\,\delta p/\tau_\mathrm{STD}
                \ \text{("matlab")}, \quad
                -\delta b_m/\tau_{b,m} - F(r\,\delta b_m + b_m \delta r)/\tau_\mathrm{STD}
                \ \text{("julia")} \\
            \delta \dot u_d &= (-\delta u_d + s M \delta p)/\tau_d

        The input does not enter (it is additive), so ``t_s`` is unused but kept for the
        protocol.

        Parameters
        ----------
        t_s
            Time in s.
        state
            ``(dim, batch)`` states.
        tangent
            ``(dim, batch)`` one tangent vector per trajectory, or ``(dim, batch, k)``:
            ``k`` tangent vectors per trajectory (for QR spectra).
        weight_scale
            As for :meth:`rhs`.

        Returns
        -------
        ndarray
            Same shape as ``tangent``.
        """
        x = np.asarray(state, dtype=np.float64)
        v = np.asarray(tangent, dtype=np.float64)
        if x.ndim != 2 or x.shape[0] != self.dim:
            raise ConfigError("state", x.shape, f"must be ({self.dim}, batch)")
        if v.shape[:2] != x.shape or v.ndim not in (2, 3):
            raise ConfigError("tangent", v.shape, f"must be {x.shape} or {x.shape + ('k',)}")
        if self._tables is not None:
            return self._jvp_compiled(x, v, weight_scale)
        return self.jvp_numpy(t_s, x, v, weight_scale=weight_scale)

    def _jvp_compiled(self, x: np.ndarray, v: np.ndarray, weight_scale: float | np.ndarray) -> np.ndarray:
        """:meth:`jvp` through the numba kernel (built-in transfer functions)."""
        tb = self._tables
        n, batch = self.n_units, x.shape[1]
        v3 = np.ascontiguousarray(v if v.ndim == 3 else v[:, :, None])
        x = np.ascontiguousarray(x)
        kk = v3.shape[2]
        out = np.empty(v3.shape)
        dp = np.empty((n, batch, kk))
        kern.srnn_jvp_pre(x, v3, n, tb["ud_off"], tb["a_unit"], tb["a_rate"], tb["c"], tb["b_off"], tb["b_unit"],
                          tb["b_rate"], tb["b_fo"], tb["b_mask"], tb["b_sib"], tb["julia"], tb["phi_code"], dp, out)
        mdp = (self.weights @ dp.reshape(n, -1)).reshape(dp.shape)
        s = self._scale(weight_scale, batch)
        if not (isinstance(s, float) and s == 1.0):
            mdp *= s if isinstance(s, float) else s.reshape(1, batch, 1)
        ud = self._layout.u_d
        mdp -= v3[ud]
        mdp *= 1.0 / self.tau_d_s
        out[ud] = mdp
        return out if v.ndim == 3 else out[:, :, 0]

    def jvp_numpy(self, t_s: float, state: np.ndarray, tangent: np.ndarray, *,
                  weight_scale: float | np.ndarray = 1.0) -> np.ndarray:
        """:meth:`jvp` in plain numpy (the reference implementation, any transfer function)."""
        x = np.asarray(state, dtype=np.float64)
        v = np.asarray(tangent, dtype=np.float64)
        batch = x.shape[1]
        extra = v.shape[2:]
        ex = (slice(None), slice(None)) + (None,) * len(extra)  # (n, B) -> (n, B, 1)
        lay = self._layout
        u_eff = self._effective_drive(x)
        dphi = self.phi.dphi(u_eff)
        r = self.phi.apply_inplace(u_eff)
        bprod = self._std_product(x)

        du_eff = v[lay.u_d].copy()
        if self._sfa_pops:
            du_eff -= self._sfa_sum(v, np.zeros_like(du_eff))
        dr = dphi[ex] * du_eff
        if bprod is None:
            dp = dr
        else:
            dp = dr * bprod[ex]
            for pop in self._std_pops:
                b = x[pop.b].reshape(pop.n_b, pop.n, batch)
                vb = v[pop.b].reshape(pop.n_b, pop.n, batch, *extra)
                excl = _exclusive_products(b)
                dp[pop.sel] += r[pop.sel][ex] * np.einsum("mnb...,mnb->nb...", vb, excl)

        out = np.empty(v.shape)  # C-contiguous: the block reshapes below are views
        for pop in self._sfa_pops:
            va = v[pop.a].reshape(pop.n_a, pop.n, batch, *extra)
            oa = out[pop.a].reshape(pop.n_a, pop.n, batch, *extra)
            np.subtract(dr[pop.sel][None], va, out=oa)
            scale = pop.inv_tau_a[:, None] * (np.ones(pop.n) if pop.c_mask is None else pop.c_mask)[None, :]
            oa *= scale.reshape(pop.n_a, pop.n, 1, *([1] * len(extra)))
        for pop in self._std_pops:
            vb = v[pop.b].reshape(pop.n_b, pop.n, batch, *extra)
            ob = out[pop.b].reshape(pop.n_b, pop.n, batch, *extra)
            tail = (1,) * (1 + len(extra))
            np.multiply(vb, -pop.inv_tau_b.reshape(pop.n_b, 1, *tail), out=ob)
            fo = pop.f_over_tau.reshape(1, pop.n, *tail)
            if self.std_variant == "matlab":
                ob -= fo * dp[pop.sel][None]
            else:
                b = x[pop.b].reshape(pop.n_b, pop.n, batch)[(...,) + (None,) * len(extra)]
                ob -= fo * (r[pop.sel][ex][None] * vb + b * dr[pop.sel][None])
            if pop.f_mask is not None:
                ob *= pop.f_mask.reshape(1, pop.n, *tail)
        n = self.n_units
        mdp = (self.weights @ dp.reshape(n, -1)).reshape(dp.shape)
        s = self._scale(weight_scale, batch)
        if not (isinstance(s, float) and s == 1.0):
            mdp *= s if isinstance(s, float) else s.reshape(1, batch, *([1] * len(extra)))
        mdp -= v[lay.u_d]
        mdp *= 1.0 / self.tau_d_s
        out[lay.u_d] = mdp
        return out

    def jacobian(self, t_s: float, state: np.ndarray, *, weight_scale: float | np.ndarray = 1.0) -> np.ndarray:
        r"""Analytic Jacobian :math:`\partial\,\mathrm{rhs}/\partial x` (1/s) of each state.

        Built by applying :meth:`jvp` to the identity (same formulas), so it costs
        :math:`O(B\, \mathrm{dim}^2)` memory; prefer :meth:`jvp` for large networks.

        Parameters
        ----------
        t_s
            Time in s.
        state
            ``(dim,)`` one state or ``(dim, batch)`` states.
        weight_scale
            As for :meth:`rhs`.

        Returns
        -------
        ndarray
            ``(dim, dim)`` for one state, else ``(batch, dim, dim)``; ``J[b, i, j] =
            d rhs_i / d x_j`` of trajectory ``b``.
        """
        x, single = self._as2d(state)
        dim, batch = x.shape
        eye = np.broadcast_to(np.eye(dim)[:, None, :], (dim, batch, dim))
        jv = self.jvp(t_s, x, eye, weight_scale=weight_scale)  # (dim_i, B, dim_j)
        jac = np.ascontiguousarray(jv.transpose(1, 0, 2))
        return jac[0] if single else jac


_ONES = np.ones(4096)
_ONES.setflags(write=False)


def _exclusive_products(b: np.ndarray) -> np.ndarray:
    r"""``out[m] = prod_{m' != m} b[m']`` along axis 0 (no division, exact at b = 0)."""
    n_b = b.shape[0]
    if n_b == 1:
        return np.ones_like(b)
    pre = np.ones_like(b)
    suf = np.ones_like(b)
    np.cumprod(b[:-1], axis=0, out=pre[1:])
    np.cumprod(b[:0:-1], axis=0, out=suf[-2::-1])
    return pre * suf


# --------------------------------------------------------------------------------------
# the reference's basic example (spec 1.2 and 1.4)


def basic_example_input(t_s: np.ndarray, n_units: int = 10, *, t_start_s: float | None = None) -> np.ndarray:
    r"""Input samples of the reference's basic example (spec 1.4), ``(len(t_s), n_units)``.

    * every neuron: a DC of 0.1 reached by a linear ramp over the first 5 s,
      :math:`0.1 \min(1, (t - t_\mathrm{start}) / 5\,\mathrm{s})`;
    * neuron 0 additionally, for :math:`t \in [1, 4)` s: a raised cosine
      :math:`0.5 + 0.5(-\cos 2\pi t')` (3 cycles of 1 Hz, 0..1), and for
      :math:`t \in [6, 9)` s a square wave :math:`0.5 + 0.5\,\mathrm{sign}(\sin 2\pi t')`
      (0/1, 3 cycles), with :math:`t' = t - t_\mathrm{start}` as in the reference (an
      integer offset for ``t_start = -10``, so the phases are those of :math:`t`).

    Parameters
    ----------
    t_s
        ``(n_times,)`` sample times in s (the reference: ``-10 .. 10`` s every 1 ms).
    n_units
        Number of neurons (>= 1).
    t_start_s
        Start of the ramp (default: ``t_s[0]``).

    Returns
    -------
    ndarray
        ``(n_times, n_units)`` values; wrap them as
        ``SampledInput(t_s, basic_example_input(t_s))``.
    """
    t = np.asarray(t_s, dtype=np.float64).reshape(-1)
    if t.size < 1 or not np.all(np.isfinite(t)):
        raise ConfigError("t_s", np.shape(t_s), "must be a non-empty array of finite times (s)")
    if isinstance(n_units, bool) or not isinstance(n_units, (int, np.integer)) or n_units < 1:
        raise ConfigError("n_units", n_units, "must be an integer >= 1")
    t0 = float(t[0]) if t_start_s is None else float(t_start_s)
    u = np.empty((t.size, int(n_units)))
    u[:] = (0.1 * np.clip((t - t0) / 5.0, 0.0, 1.0))[:, None]
    tp = t - t0
    cosine = (t >= 1.0) & (t < 4.0)
    square = (t >= 6.0) & (t < 9.0)
    u[cosine, 0] += 0.5 + 0.5 * (-np.cos(2.0 * np.pi * tp[cosine]))
    u[square, 0] += 0.5 + 0.5 * np.sign(np.sin(2.0 * np.pi * tp[square]))
    return u


def basic_example_network(
    adaptation: str = "sfa+std",
    *,
    seed: SeedLike = 42000,
    n_units: int = 10,
    e_fraction: float = 0.7,
    mean_degree: float = 5.0,
    w_ee_factor: float = 1.0,
    tau_a_max_s: float = 15.0,
    t_span_s: tuple[float, float] = (-10.0, 10.0),
    fs_hz: float = 1000.0,
    std_variant: StdVariant = "matlab",
) -> SRNNetwork:
    r"""The reference's basic example (spec 1.2, 1.4) as an :class:`SRNNetwork`.

    Weights from :func:`~netdyn.connectivity.dale.strongly_connected_dale` with the
    reference scale ``s = 0.5 / 0.79782`` (``w_ee = w_ee_factor * s``, ``w_ei = w_ie = s``,
    ``w_ii = s / 2``); ``seed=42000`` (default) is the spec's example network "seed 42"
    (max Re eig 0.743), ``seed=7000`` its "seed 7". ``tau_d = 25`` ms; E neurons get
    ``n_a = 3`` SFA timescales :func:`sfa_timescales` ``(3, 0.3, tau_a_max_s)`` and one STD
    timescale ``tau_b = 2`` s (``tau_STD = 0.5`` s) as ``adaptation`` says; I neurons none.
    Input: :func:`basic_example_input` sampled at ``fs_hz`` over ``t_span_s``.

    Parameters
    ----------
    adaptation
        ``"none"``, ``"sfa"``, ``"std"`` or ``"sfa+std"`` (the example).
    seed
        Seed of the connectivity.
    n_units, e_fraction, mean_degree
        Network size, E fraction and mean degree (reference: 10, 0.7, 5).
    w_ee_factor
        Multiplies ``w_ee`` (the MATLAB "bursting" setting is 2; spec check 4.7 uses 4).
    tau_a_max_s
        Slowest SFA timescale (s).
    t_span_s, fs_hz
        Span and sampling rate of the input samples.
    std_variant
        ``"matlab"`` or ``"julia"`` (identical here: one STD timescale).
    """
    if adaptation not in ADAPTATIONS:
        raise ConfigError("adaptation", adaptation, f"expected one of {list(ADAPTATIONS)}")
    scale = default_weight_scale()
    m, exc = strongly_connected_dale(
        n_units, e_fraction=e_fraction, mean_degree=mean_degree, w_ee=scale * w_ee_factor,
        w_ei=scale, w_ie=scale, w_ii=0.5 * scale, seed=seed,
    )
    t0, t1 = (float(v) for v in t_span_s)
    fs = _positive(fs_hz, "fs_hz")
    n_samples = round((t1 - t0) * fs) + 1
    if not (t1 > t0) or abs((n_samples - 1) / fs - (t1 - t0)) > 1e-9 * max(1.0, t1 - t0):
        raise ConfigError("t_span_s", t_span_s, f"must be increasing and span a whole number of 1/fs_hz = {1 / fs:g} s")
    t = t0 + np.arange(n_samples) / fs
    sfa = adaptation in ("sfa", "sfa+std")
    std = adaptation in ("std", "sfa+std")
    return SRNNetwork(
        weights=m, is_excitatory=exc, tau_d_s=0.025,
        tau_a_e_s=sfa_timescales(3, 0.3, tau_a_max_s) if sfa else (),
        tau_b_e_s=std_timescales(1, 0.5) if std else (), tau_std_s=0.5,
        phi="relu", std_variant=std_variant,
        external_input=SampledInput(t, basic_example_input(t, n_units)),
    )
