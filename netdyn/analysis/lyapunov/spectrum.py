r"""Lyapunov spectra by QR re-orthonormalisation of tangent vectors: the generic method and its
adapters for rate networks and ODE models.

References
----------
.. [SN79] I. Shimada, T. Nagashima (1979), Prog. Theor. Phys. 61, 1605-1616.
.. [B80] G. Benettin, L. Galgani, A. Giorgilli, J.-M. Strelcyn (1980), Meccanica 15, 21-30.
.. [W85] A. Wolf, J. B. Swift, H. L. Swinney, J. A. Vastano (1985), Physica D 16, 285-317.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from netdyn.analysis.lyapunov._checks import as_batch, ode_x0, positive_int, rate_arguments
from netdyn.engines.ode import grid_steps
from netdyn.engines.rate import INTEGRATORS, n_steps_for
from netdyn.engines.tangent import ode_tangent_stepper, rate_tangent_stepper
from netdyn.errors import ConfigError, positive_float
from netdyn.models.rate import RateNetwork
from netdyn.seeding import SeedLike, as_generator

__all__ = ["ODESpectrumEstimate", "SpectrumEstimate", "ode_lyapunov_spectrum", "qr_spectrum",
           "rate_lyapunov_spectrum"]

StepTangentFn = Callable[[np.ndarray, np.ndarray], "tuple[np.ndarray, np.ndarray]"]


@dataclass(frozen=True, eq=False)
class SpectrumEstimate:
    r"""Result of :func:`qr_spectrum` / :func:`rate_lyapunov_spectrum`.

    Exponents are in the inverse of ``time_unit`` (1/s for :func:`rate_lyapunov_spectrum`).

    Attributes
    ----------
    exponents
        ``(batch, k)`` the ``k`` largest exponents of each trajectory, sorted descending.
    log_r_sum
        ``(batch, k)`` accumulated :math:`\sum \ln |R_{ii}|` in the order of the tangent
        vectors (unsorted).
    duration
        Averaging time ``n_steps * dt`` (transient excluded).
    history
        ``(n_history, batch, k)`` finite-time exponents (accumulated log / elapsed time),
        sorted descending per row, or ``None``.
    history_time
        ``(n_history,)`` elapsed time of each history row since the end of the transient,
        or ``None``.
    state
        ``(dim, batch)`` final state.
    tangent
        ``(batch, dim, k)`` final orthonormal tangent basis.
    time_unit
        Label of the time unit.
    """

    exponents: np.ndarray
    log_r_sum: np.ndarray
    duration: float
    history: np.ndarray | None
    history_time: np.ndarray | None
    state: np.ndarray
    tangent: np.ndarray
    time_unit: str = ""

    @property
    def largest(self) -> np.ndarray:
        """``(batch,)`` largest exponent of each trajectory."""
        return self.exponents[:, 0]

    @property
    def total(self) -> np.ndarray:
        """``(batch,)`` sum of the ``k`` exponents (the mean phase-space contraction rate
        when ``k = dim``)."""
        return self.exponents.sum(axis=1)


def _orthonormal(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Batched QR with ``diag(R) >= 0``: returns ``Q (batch, dim, k)`` and ``|diag R|``."""
    q, r = np.linalg.qr(q)
    diag = np.diagonal(r, axis1=-2, axis2=-1)
    sign = np.where(diag < 0, -1.0, 1.0)
    q *= sign[:, None, :]
    return q, np.abs(diag)


def qr_spectrum(
    step_tangent: StepTangentFn,
    x0: np.ndarray,
    Q0: np.ndarray | None = None,
    *,
    n_steps: int,
    dt: float,
    transient_steps: int = 0,
    qr_every: int = 1,
    n_exponents: int | None = None,
    history_every: int | None = None,
    seed: SeedLike = None,
    time_unit: str = "",
) -> SpectrumEstimate:
    r"""Lyapunov spectrum of a batch of trajectories by QR re-orthonormalisation.

    ``k`` tangent vectors :math:`Q` are advanced with the tangent map of one step,
    :math:`Q \leftarrow M_j Q`, and every ``qr_every`` steps re-orthonormalised,
    :math:`Q = Q' R` (``R`` upper triangular with a positive diagonal: columns of ``Q'``
    whose ``R_ii`` came out negative are flipped, so that the basis evolves continuously).
    The ``k`` largest exponents are (Shimada & Nagashima 1979; Benettin et al. 1980;
    Wolf et al. 1985)

    .. math:: \lambda_i = \frac{1}{n\, dt} \sum_{\text{QR steps}} \ln |R_{ii}|,

    with ``n = n_steps`` steps after the transient, in the inverse unit of ``dt``.

    Parameters
    ----------
    step_tangent
        ``step_tangent(x, Q) -> (x_new, Q_new)``: advances the states ``x`` of shape
        ``(dim, batch)`` by one step and the tangent vectors ``Q`` of shape
        ``(batch, dim, k)`` (trajectory ``b``'s vectors are the columns of ``Q[b]``) by the
        tangent map of that same step, :math:`Q_\text{new}[b] = M(x[:, b])\, Q[b]`. For a
        map, :math:`M = Df`; for a discretised ODE, the derivative of the *discrete* step
        (e.g. :math:`I + dt\, J` for forward Euler), which is what makes the spectrum that
        of the simulated system. Called exactly once per step, in order (a closure may keep
        the clock). It may modify its arguments in place.
    x0
        ``(dim,)`` or ``(dim, batch)`` initial states.
    Q0
        ``(dim, k)`` (shared) or ``(batch, dim, k)`` initial tangent vectors
        (orthonormalised here); default: a random orthonormal ``(dim, k)`` frame per
        trajectory, from ``seed``.
    n_steps
        Steps averaged (after the transient); a multiple of ``qr_every``.
    dt
        Duration of one step (1 for a map).
    transient_steps
        Steps run first (state and tangent vectors, with QR) and not averaged, while the
        tangent frame aligns with the Oseledets directions; a multiple of ``qr_every``.
    qr_every
        Re-orthonormalise every this many steps. Larger is cheaper but the tangent vectors
        must not collapse onto the leading direction in between: keep
        :math:`(\lambda_1 - \lambda_k)\, \text{qr\_every}\, dt` well below
        :math:`\ln(1/\epsilon) \approx 36` (in practice below a few).
    n_exponents
        ``k``; default ``dim`` (or ``Q0``'s number of columns).
    history_every
        Record the finite-time exponents every this many QR decompositions (``None``: no
        history).
    seed
        Seed of the random initial frame.
    time_unit
        Label stored with the result.

    Returns
    -------
    SpectrumEstimate

    Notes
    -----
    Assumptions: the tangent map is exact for the step that advances the state (otherwise
    the spectrum is that of a different system); the system is ergodic enough for time
    averages to converge (error :math:`\sim (n\, dt)^{-1/2}` for chaotic systems, and
    :math:`O(1/(n\,dt))` from the initial frame, reduced by the transient). With ``k = dim``
    the sum of the exponents is the time average of :math:`\ln|\det M|/dt` (for a flow,
    :math:`\langle \operatorname{tr} J \rangle`), a useful check. Exponents of a complex
    pair of Floquet / eigen-directions come out equal only on average: their individual
    finite-time values oscillate, their sum does not.
    """
    n_steps = positive_int(n_steps, "n_steps")
    transient_steps = positive_int(transient_steps, "transient_steps", allow_zero=True)
    qr_every = positive_int(qr_every, "qr_every")
    dt = positive_float(dt, "dt")
    if n_steps % qr_every:
        raise ConfigError("n_steps", n_steps, f"must be a multiple of qr_every={qr_every}")
    if transient_steps % qr_every:
        raise ConfigError("transient_steps", transient_steps, f"must be a multiple of qr_every={qr_every}")
    if history_every is not None:
        history_every = positive_int(history_every, "history_every")
    x = as_batch(x0)
    dim, batch = x.shape

    if Q0 is None:
        k = dim if n_exponents is None else positive_int(n_exponents, "n_exponents")
        if k > dim:
            raise ConfigError("n_exponents", n_exponents, f"must be <= the state dimension {dim}")
        q = as_generator(seed).standard_normal((batch, dim, k))
    else:
        q = np.array(Q0, dtype=np.float64, copy=True)
        if q.ndim == 2:
            q = np.array(np.broadcast_to(q, (batch, *q.shape)))
        if q.ndim != 3 or q.shape[:2] != (batch, dim) or q.shape[2] < 1 or q.shape[2] > dim:
            raise ConfigError("Q0", np.shape(Q0), f"must have shape ({dim}, k) or ({batch}, {dim}, k), 1 <= k <= {dim}")
        k = q.shape[2]
        if n_exponents is not None and n_exponents != k:
            raise ConfigError("n_exponents", n_exponents, f"disagrees with Q0's {k} columns")
    q, diag = _orthonormal(q)
    if not np.all(diag > 0):
        raise ConfigError("Q0", "rank deficient", "initial tangent vectors must be linearly independent")

    n_qr = n_steps // qr_every
    hist: list[np.ndarray] = []
    hist_t: list[float] = []
    acc = np.zeros((batch, k))
    done = 0  # QR decompositions after the transient
    for step in range(transient_steps + n_steps):
        x, q = step_tangent(x, q)
        if (step + 1) % qr_every:
            continue
        q = np.asarray(q, dtype=np.float64)
        if q.shape != (batch, dim, k):
            raise ConfigError("step_tangent", q.shape, f"must return tangent vectors of shape ({batch}, {dim}, {k})")
        q, diag = _orthonormal(q)
        if step + 1 <= transient_steps:
            continue
        with np.errstate(divide="ignore"):
            acc += np.log(diag)
        done += 1
        if history_every is not None and done % history_every == 0:
            elapsed = done * qr_every * dt
            hist.append(-np.sort(-acc / elapsed, axis=1))
            hist_t.append(elapsed)
    assert done == n_qr
    duration = n_steps * dt
    exponents = -np.sort(-acc / duration, axis=1)
    history = np.stack(hist) if hist else (None if history_every is None else np.empty((0, batch, k)))
    history_time = None if history_every is None else np.asarray(hist_t)
    return SpectrumEstimate(exponents, acc, duration, history, history_time, np.asarray(x), q, time_unit)


def rate_lyapunov_spectrum(
    network: RateNetwork,
    r0: np.ndarray,
    *,
    gain: float | np.ndarray = 1.0,
    dt_ms: float = 1.0,
    duration_ms: float,
    transient_ms: float = 0.0,
    n_exponents: int | None = None,
    qr_every_steps: int = 1,
    method: str = "euler",
    history_every: int | None = None,
    Q0: np.ndarray | None = None,
    seed: SeedLike = None,
    t0_ms: float = 0.0,
    dense_jacobian: bool = False,
) -> SpectrumEstimate:
    r"""Lyapunov spectrum of rate-network trajectories in 1/s, by QR of the tangent dynamics.

    The state is advanced by the same scheme as :func:`~netdyn.engines.integrate` (numpy
    arithmetic), and the tangent vectors by the **exact derivative of that discrete step**,
    built from the analytic Jacobian :meth:`RateNetwork.jacobian
    <netdyn.models.rate.RateNetwork.jacobian>`
    :math:`J(r) = \frac{1}{\tau}(-I + \operatorname{diag}(\phi'(x))\, g W)`,
    :math:`x = g W r + I(t)`:

    * ``"euler"``: :math:`r_{k+1} = r_k + dt\, f(r_k)`, so :math:`M_k = I + dt\, J(r_k)`;
    * ``"exp_euler"``: :math:`r_{k+1} = r_k + a(\phi(x_k) - r_k)`,
      :math:`a = 1 - e^{-dt/\tau}`, so :math:`M_k = I + a\tau\, J(r_k)`;
    * ``"rk4"``: with stages :math:`k_1 = f(r)`, :math:`k_2 = f(r + \tfrac{h}{2}k_1)`,
      :math:`k_3 = f(r + \tfrac{h}{2}k_2)`, :math:`k_4 = f(r + h k_3)`, the tangent stages
      :math:`K_1 = J(r)Q`, :math:`K_2 = J(r + \tfrac{h}{2}k_1)(Q + \tfrac{h}{2}K_1)`,
      :math:`K_3 = J(r + \tfrac{h}{2}k_2)(Q + \tfrac{h}{2}K_2)`,
      :math:`K_4 = J(r + h k_3)(Q + h K_3)` and
      :math:`Q \leftarrow Q + \tfrac{h}{6}(K_1 + 2K_2 + 2K_3 + K_4)`.

    The exponents are thus those of the map the integrator defines (for Euler:
    :math:`\frac{1}{dt}\langle\ln|\cdot|\rangle` of products of :math:`I + dt\,J`, in 1/ms,
    times 1000 for 1/s); they approach the flow's as ``dt -> 0`` (Euler: :math:`O(dt)`,
    e.g. a linear mode :math:`\mu` gives :math:`\ln|1 + dt\,\mu|/dt`; RK4:
    :math:`O(dt^4)`), and they are what :func:`rate_benettin` measures with the same
    ``method`` and ``dt_ms``.

    Parameters
    ----------
    network
        The rate network.
    r0
        ``(n_units,)`` or ``(n_units, batch)`` initial states; one spectrum per column.
    gain
        Scalar or ``(batch,)`` gain per trajectory.
    dt_ms, method
        Step and scheme (``"euler"``, ``"exp_euler"``, ``"rk4"``).
    duration_ms
        Averaged time after the transient; a multiple of ``qr_every_steps * dt_ms``.
    transient_ms
        Time run first and not averaged; a multiple of ``qr_every_steps * dt_ms``.
    n_exponents
        Number ``k`` of leading exponents (default: all ``n_units``). Cost per step: one
        Jacobian product (four for RK4, see ``dense_jacobian``), plus a QR of
        :math:`O(B n k^2)` every ``qr_every_steps``.
    qr_every_steps
        Steps between re-orthonormalisations (see :func:`qr_spectrum`).
    history_every, Q0, seed
        As for :func:`qr_spectrum` (history every so many QRs; initial frame; its seed).
    t0_ms
        Time of ``r0`` (matters only with a time-dependent input).
    dense_jacobian
        ``True``: multiply by the dense ``(batch, n, n)`` matrices of
        :meth:`RateNetwork.jacobian <netdyn.models.rate.RateNetwork.jacobian>`
        (:math:`O(B n^2 k)` per product plus building them). ``False`` (default): apply
        the same Jacobian matrix-free, :math:`JQ = (-Q + \operatorname{diag}(g\phi'(x))
        (WQ))/\tau`, with one (sparse) product :math:`W Q` for the whole batch
        (:math:`O(\text{nnz}\, B k)`); both give the same numbers to rounding.

    Returns
    -------
    SpectrumEstimate
        ``exponents (batch, k)`` in 1/s sorted descending; ``duration`` and
        ``history_time`` in s.
    """
    dt_ms, r, g = rate_arguments(network, r0, gain, method, dt_ms, INTEGRATORS)
    qr_every_steps = positive_int(qr_every_steps, "qr_every_steps")
    n_steps = n_steps_for(float(duration_ms), dt_ms)
    n_transient = n_steps_for(float(transient_ms), dt_ms)
    if n_steps < 1:
        raise ConfigError("duration_ms", duration_ms, f"must be at least dt_ms={dt_ms}")
    if n_steps % qr_every_steps:
        raise ConfigError("duration_ms", duration_ms, f"must be a multiple of qr_every_steps * dt_ms = {qr_every_steps * dt_ms}")
    if n_transient % qr_every_steps:
        raise ConfigError("transient_ms", transient_ms, f"must be a multiple of qr_every_steps * dt_ms = {qr_every_steps * dt_ms}")
    stepper = rate_tangent_stepper(network, g, dt_ms=dt_ms, method=method, t0_ms=t0_ms,
                                   dense_jacobian=dense_jacobian)
    return qr_spectrum(
        stepper.step, r, Q0, n_steps=n_steps, dt=dt_ms * 1e-3, transient_steps=n_transient,
        qr_every=qr_every_steps, n_exponents=n_exponents, history_every=history_every,
        seed=seed, time_unit="s",
    )


@dataclass(frozen=True, eq=False)
class ODESpectrumEstimate(SpectrumEstimate):
    """Result of :func:`ode_lyapunov_spectrum`: a :class:`SpectrumEstimate` plus runaway
    flags (exponents of runaway trajectories are NaN)."""

    runaway: np.ndarray | None = None
    runaway_time: np.ndarray | None = None


def ode_lyapunov_spectrum(
    model: Any,
    x0: np.ndarray | None = None,
    *,
    t0: float,
    t1: float,
    dt: float,
    accumulate_from: float | None = None,
    qr_every: int = 10,
    n_exponents: int | None = None,
    params: dict[str, Any] | None = None,
    Q0: np.ndarray | None = None,
    seed: SeedLike = None,
    history_every: int | None = None,
    runaway_threshold: float | None = None,
    threads: int = 1,
) -> ODESpectrumEstimate:
    r"""Lyapunov spectrum of an ODE model by QR of the variational equations (via
    :func:`qr_spectrum`), with the model's analytic Jacobian-vector product ``model.jvp``.

    The state is advanced by classical RK4 with step ``dt`` (as
    :func:`~netdyn.engines.ode.integrate_ode` with ``method="rk4"``, clipped after every
    step) and the ``k`` tangent vectors by the **exact derivative of that RK4 step**:
    with stages :math:`k_1 = f(x)`, :math:`k_2 = f(x + \tfrac{h}{2}k_1)`, ...,
    :math:`K_1 = J(x)Q`, :math:`K_2 = J(x + \tfrac{h}{2}k_1)(Q + \tfrac{h}{2}K_1)`,
    :math:`K_3 = J(x + \tfrac{h}{2}k_2)(Q + \tfrac{h}{2}K_2)`,
    :math:`K_4 = J(x + h k_3)(Q + h K_3)`,
    :math:`Q \leftarrow Q + \tfrac{h}{6}(K_1 + 2K_2 + 2K_3 + K_4)` (the clipping, a
    projection active only on the boundary of [0, 1], is not differentiated).
    Re-orthonormalisation every ``qr_every`` steps. This is the spectrum the MATLAB
    original intended (``lyapunov_spectrum_qr``); its largest exponent agrees with
    :func:`ode_benettin` on the same span.

    Parameters
    ----------
    model
        An ODE model with ``rhs`` and ``jvp(t, state, tangent, **params)`` taking tangents
        of shape ``(dim, batch, k)`` (e.g. :class:`~netdyn.models.srnn.SRNNetwork`).
    x0
        ``(dim,)`` or ``(dim, batch)``; default ``model.initial_state(1)``.
    t0, t1, dt
        Span and step (model time unit).
    accumulate_from
        Steps before this time (rounded up to a multiple of ``qr_every``) are the
        transient; default ``t0`` (no transient). The averaged span is the largest
        multiple of ``qr_every * dt`` after it.
    qr_every, n_exponents, Q0, seed, history_every
        As for :func:`qr_spectrum`.
    params
        Per-trajectory parameters of ``model.rhs`` / ``model.jvp``.
    runaway_threshold
        Trajectories whose largest absolute state exceeds it are frozen (state and
        tangent vectors) and get NaN exponents.
    threads
        Threads of the compiled RK4 (>= 1): the batch is split between them; the same
        numbers, bit for bit, for any count (:func:`~netdyn.engines.tangent.ode_tangent_stepper`).

    Returns
    -------
    ODESpectrumEstimate
        ``exponents (batch, k)`` in the inverse time unit of the model, descending.
    """
    t0, t1, dt = float(t0), float(t1), float(dt)
    n_grid = grid_steps(t0, t1, dt)
    qr_every = positive_int(qr_every, "qr_every")
    a = t0 if accumulate_from is None else float(accumulate_from)
    if not math.isfinite(a):
        raise ConfigError("accumulate_from", accumulate_from, "must be finite")
    n_trans = min(n_grid, max(0, math.ceil((a - t0) / dt - 1e-9)))
    n_trans = -(-n_trans // qr_every) * qr_every
    n_avg = ((n_grid - n_trans) // qr_every) * qr_every
    if n_avg < qr_every:
        raise ConfigError("t1", t1, "leaves no QR interval to average after accumulate_from")
    if runaway_threshold is not None and not (math.isfinite(runaway_threshold) and runaway_threshold > 0):
        raise ConfigError("runaway_threshold", runaway_threshold, "must be None or a finite number > 0")
    x = ode_x0(model, x0)
    # compiled: qr_every steps per call (then one QR per call); Python: one step per call
    stepper = ode_tangent_stepper(model, t0=t0, dt=dt, t_end=t0 + (n_trans + n_avg) * dt, batch=x.shape[1],
                                  params=params, runaway_threshold=runaway_threshold, block=qr_every,
                                  threads=threads)
    per_call = stepper.steps_per_call
    est = qr_spectrum(
        stepper.step, x, Q0, n_steps=n_avg // per_call, dt=dt * per_call, transient_steps=n_trans // per_call,
        qr_every=qr_every // per_call, n_exponents=n_exponents, history_every=history_every, seed=seed,
        time_unit=getattr(model, "time_unit", ""),
    )
    runaway, runaway_time = stepper.runaway, stepper.runaway_time
    exponents = np.array(est.exponents)
    exponents[runaway] = np.nan
    return ODESpectrumEstimate(
        exponents=exponents, log_r_sum=est.log_r_sum, duration=est.duration, history=est.history,
        history_time=est.history_time, state=est.state, tangent=est.tangent, time_unit=est.time_unit,
        runaway=runaway, runaway_time=runaway_time,
    )
