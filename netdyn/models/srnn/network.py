r"""The SRNN model: parameters, state layout, observables, vector field and Jacobian.

Equations and state layout: :mod:`netdyn.models.srnn`. Time in **seconds**.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Literal

import numpy as np
import scipy.sparse as sp

from netdyn.errors import ConfigError, positive_float
from netdyn.models.compiled import CompiledField
from netdyn.models.inputs import SampledInput
from netdyn.models.nonlinearity import ArrayFn, Nonlinearity, get_nonlinearity
from netdyn.models.srnn import equations, kernels
from netdyn.models.srnn.layout import SRNNLayout

__all__ = ["ADAPTATIONS", "STD_VARIANTS", "SRNNetwork"]

StdVariant = Literal["matlab", "julia"]
STD_VARIANTS: tuple[str, ...] = ("matlab", "julia")
#: Adaptation configurations of the reference's basic example: which mechanisms E neurons have.
ADAPTATIONS: tuple[str, ...] = ("none", "sfa", "std", "sfa+std")


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


@dataclass(frozen=True, eq=False)
class SRNNetwork:
    r"""A rate network with SFA and STD, independent of how it is Time in **seconds**. Equations and state layout: :mod:`netdyn.models.srnn`.

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

        object.__setattr__(self, "tau_d_s", positive_float(self.tau_d_s, "tau_d_s"))
        object.__setattr__(self, "tau_std_s", positive_float(self.tau_std_s, "tau_std_s"))
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
        object.__setattr__(self, "_tables", kernels.row_tables(self, pops))

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
        if self._tables is None or state.dtype != np.float64 or not state.flags.c_contiguous:
            return equations.rhs(self, t_s, state, out, weight_scale=weight_scale)
        return kernels.rhs_compiled(self, t_s, state, out, weight_scale)

    @cached_property
    def _field_static_args(self) -> tuple | None:
        """The batch-independent arguments of the compiled field (built once)."""
        return kernels.static_args(self)

    def compiled_field(self, t_start_s: float, t_end_s: float, batch: int, params: dict[str, Any],
                       n_tangents: int = 0) -> CompiledField | None:
        """The compiled vector field (and Jacobian-vector product with ``n_tangents > 0``)
        for ``batch`` trajectories over ``[t_start_s, t_end_s]``, which the ODE engine steps
        with its compiled RK4 (:mod:`netdyn.engines.rk4`); ``None`` where it does not apply
        (a user transfer function, a callable input, a sampled input that does not cover the
        span, parameters other than ``weight_scale``): the engine then steps :meth:`rhs` from
        Python, with the same operations."""
        return kernels.compiled_field(self, t_start_s, t_end_s, batch, params, n_tangents)

    def rhs_numpy(self, t_s: float, state: np.ndarray, out: np.ndarray | None = None, *,
                  weight_scale: float | np.ndarray = 1.0) -> np.ndarray:
        """:meth:`rhs` in plain numpy (the reference implementation, any transfer function):
        :func:`netdyn.models.srnn.equations.rhs`."""
        return equations.rhs(self, t_s, state, out, weight_scale=weight_scale)

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
            return kernels.jvp_compiled(self, x, v, weight_scale)
        return equations.jvp(self, t_s, x, v, weight_scale=weight_scale)

    def jvp_numpy(self, t_s: float, state: np.ndarray, tangent: np.ndarray, *,
                  weight_scale: float | np.ndarray = 1.0) -> np.ndarray:
        """:meth:`jvp` in plain numpy (the reference implementation, any transfer function):
        :func:`netdyn.models.srnn.equations.jvp`."""
        return equations.jvp(self, t_s, state, tangent, weight_scale=weight_scale)

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
