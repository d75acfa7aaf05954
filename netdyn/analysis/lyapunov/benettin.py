r"""Benettin's largest Lyapunov exponent: the generic method and its adapters for rate
networks and ODE models.

References
----------
.. [B80] G. Benettin, L. Galgani, A. Giorgilli, J.-M. Strelcyn (1980), Meccanica 15, 9-30.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from netdyn import timegrid
from netdyn.analysis.lyapunov._checks import as_batch, ode_x0, positive_int, rate_arguments
from netdyn.engines.ode import grid_steps, integrate_ode
from netdyn.engines.rate import INTEGRATORS, integrate, n_steps_for
from netdyn.errors import ConfigError, positive_float
from netdyn.models.rate import RateNetwork
from netdyn.seeding import SeedLike, as_generator

__all__ = ["BenettinEstimate", "ODEBenettinEstimate", "benettin_largest", "ode_benettin", "rate_benettin"]

AdvanceFn = Callable[[np.ndarray, int], np.ndarray]


@dataclass(frozen=True, eq=False)
class BenettinEstimate:
    r"""Result of :func:`benettin_largest` / :func:`rate_benettin`.

    All times are in ``time_unit`` (the unit of ``dt``; ``"s"`` for :func:`rate_benettin`)
    and all exponents in its inverse (1/s for :func:`rate_benettin`).

    Attributes
    ----------
    exponent
        ``(batch,)`` largest exponent per trajectory,
        :math:`\lambda = \frac{1}{K \tau} \sum_{k=1}^{K} \ln(d_k / d_{0})`.
    log_growth
        ``(n_renorm, batch)``, :math:`\ln(d_k / d_0)` of every recorded interval (transient
        intervals excluded).
    interval
        Renormalisation interval :math:`\tau` = ``renorm_steps * dt``.
    time
        ``(n_renorm,)`` end of each recorded interval, measured from the end of the
        transient: ``(k + 1) * interval``.
    state
        ``(dim, batch)`` reference state at the end (to continue a run).
    time_unit
        Label of the time unit (``"s"``, ``"ms"``, ``""`` for iterations).
    n_transient
        Number of discarded transient intervals.
    """

    exponent: np.ndarray
    log_growth: np.ndarray
    interval: float
    time: np.ndarray
    state: np.ndarray
    time_unit: str = ""
    n_transient: int = 0

    @property
    def local_exponents(self) -> np.ndarray:
        r"""``(n_renorm, batch)`` local exponents :math:`\ln(d_k/d_0)/\tau`."""
        return self.log_growth / self.interval

    @property
    def finite_time(self) -> np.ndarray:
        r"""``(n_renorm, batch)`` finite-time exponents (running mean of the local ones),
        :math:`\lambda(t_k) = \sum_{j \le k} \ln(d_j/d_0) / t_k`; the last row equals
        ``exponent``."""
        return np.cumsum(self.log_growth, axis=0) / self.time[:, None]


def benettin_largest(
    advance: AdvanceFn,
    x0: np.ndarray,
    *,
    perturbation: float = 1e-8,
    renorm_steps: int,
    n_renorm: int,
    transient_renorm: int = 0,
    dt: float,
    direction: np.ndarray | None = None,
    seed: SeedLike = None,
    constrain: Callable[[np.ndarray], np.ndarray] | None = None,
    time_unit: str = "",
) -> BenettinEstimate:
    r"""Largest Lyapunov exponent of a batch of trajectories by Benettin's method.

    A reference trajectory :math:`x(t)` and a perturbed one :math:`x(t) + \delta(t)` are
    advanced together; after every interval of :math:`\tau` = ``renorm_steps * dt`` the
    separation :math:`d_k = \|\delta\|_2` (Euclidean norm over the whole state vector) is
    measured and :math:`\delta` is rescaled back to its initial norm :math:`d_0`, keeping its
    direction (Benettin et al. 1980). Then

    .. math:: \lambda_1 \approx \frac{1}{K\tau} \sum_{k=1}^{K} \ln \frac{d_k}{d_0},

    in the inverse unit of ``dt`` (:math:`d_0` is the separation actually set at the start of
    each interval, ``perturbation`` up to the rounding of ``x + delta``). Each column of the batch is an independent trajectory
    with its own perturbation and its own exponent.

    Parameters
    ----------
    advance
        ``advance(state, n_steps) -> state``: advances a ``(dim, m)`` array of states by
        ``n_steps`` steps of ``dt`` and returns the new ``(dim, m)`` array. It is called with
        ``m = 2 * batch`` columns, ``[reference_0 .. reference_{B-1}, perturbed_0 ..
        perturbed_{B-1}]``: columns ``b`` and ``B + b`` are the same system (if trajectories
        have parameters, such as a gain, tile them twice). It is called once per interval,
        in order, so a non-autonomous system may keep its clock in a closure.
    x0
        ``(dim,)`` or ``(dim, batch)`` initial reference states.
    perturbation
        Norm :math:`d_0` of the perturbation. It must be small enough for the dynamics to be
        linear on that scale over one interval, and large enough that rounding of the
        states (relative ``~1e-16``) is negligible: ``1e-8`` for states of order 1.
    renorm_steps
        Steps per renormalisation interval. The perturbation must not leave the linear
        regime within an interval: :math:`d_0 e^{\lambda_\text{local}\tau} \ll` the
        scale of the attractor.
    n_renorm
        Recorded intervals :math:`K` (after the transient).
    transient_renorm
        Intervals run first and discarded, while the perturbation aligns with the most
        unstable direction (and the reference settles on its attractor).
    dt
        Duration of one step, in the unit the exponents should have the inverse of
        (1 for an iteration of a map).
    direction
        ``(dim,)`` or ``(dim, batch)`` initial perturbation direction (normalised here);
        default: an isotropic Gaussian direction per trajectory, drawn from ``seed``.
    seed
        Seed of the random initial direction.
    constrain
        Optional ``constrain(states) -> states`` applied to the perturbed states after each
        renormalisation (e.g. clipping a bounded variable). The log growth is always
        measured against the separation actually set, :math:`\ln(d_k / \|\delta_{k-1}^+\|)`.
    time_unit
        Label stored with the result.

    Returns
    -------
    BenettinEstimate

    Notes
    -----
    Assumptions: the dynamics is smooth along the trajectory (the finite perturbation
    probes the tangent map), ergodic enough that the time average converges, and the
    leading exponent is separated from the next (otherwise alignment is slow; the estimate
    still converges, as :math:`O(1/(K\tau))`). The statistical error of
    :math:`\lambda` decreases as :math:`(K\tau)^{-1/2}`; :attr:`BenettinEstimate.finite_time`
    shows the convergence. A separation that becomes exactly 0 (perturbation lost in
    rounding) or non-finite is recorded as is (``-inf``/NaN, which then shows in
    ``exponent``), and the perturbation of that column is reset to its initial direction.
    """
    renorm_steps = positive_int(renorm_steps, "renorm_steps")
    n_renorm = positive_int(n_renorm, "n_renorm")
    transient_renorm = positive_int(transient_renorm, "transient_renorm", allow_zero=True)
    dt = positive_float(dt, "dt")
    d0 = positive_float(perturbation, "perturbation")
    x = as_batch(x0)
    dim, batch = x.shape

    if direction is None:
        u = as_generator(seed).standard_normal((dim, batch))
    else:
        u = np.array(direction, dtype=np.float64, copy=True)
        if u.ndim == 1:
            u = u[:, None]
        try:
            u = np.array(np.broadcast_to(u, (dim, batch)))
        except ValueError:
            raise ConfigError("direction", np.shape(direction), f"must have shape ({dim},) or ({dim}, {batch})") from None
    norms = np.linalg.norm(u, axis=0)
    if not np.all(np.isfinite(norms) & (norms > 0)):
        raise ConfigError("direction", "zero or non-finite column", "every direction must be a finite non-zero vector")
    u /= norms
    u0 = u.copy()

    def perturbed(ref: np.ndarray, delta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        xp = ref + delta
        if constrain is not None:
            xp = np.asarray(constrain(xp), dtype=np.float64)
        start = np.linalg.norm(xp - ref, axis=0)
        return xp, start

    xp, start = perturbed(x, d0 * u)
    log_growth = np.empty((n_renorm, batch))
    for k in range(transient_renorm + n_renorm):
        both = np.asarray(advance(np.concatenate([x, xp], axis=1), renorm_steps), dtype=np.float64)
        if both.shape != (dim, 2 * batch):
            raise ConfigError("advance", both.shape, f"must return an array of shape ({dim}, {2 * batch})")
        x = both[:, :batch]
        delta = both[:, batch:] - x
        dist = np.linalg.norm(delta, axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            growth = np.log(dist / start)
            delta *= d0 / dist
        bad = ~(np.isfinite(dist) & (dist > 0))
        if bad.any():
            delta[:, bad] = d0 * u0[:, bad]
        if k >= transient_renorm:
            log_growth[k - transient_renorm] = growth
        x = np.ascontiguousarray(x)
        xp, start = perturbed(x, delta)

    interval = renorm_steps * dt
    time = interval * np.arange(1, n_renorm + 1)
    exponent = log_growth.sum(axis=0) / (n_renorm * interval)
    return BenettinEstimate(exponent, log_growth, interval, time, x, time_unit, transient_renorm)


def rate_benettin(
    network: RateNetwork,
    r0: np.ndarray,
    *,
    gain: float | np.ndarray = 1.0,
    dt_ms: float = 1.0,
    method: str = "euler",
    renorm_interval_ms: float = 10.0,
    duration_ms: float,
    transient_ms: float = 0.0,
    perturbation: float = 1e-8,
    direction: np.ndarray | None = None,
    seed: SeedLike = None,
    backend: str = "numba",
    t0_ms: float = 0.0,
) -> BenettinEstimate:
    r"""Benettin largest exponent of rate-network trajectories, in 1/s.

    Reference and perturbed trajectories run **together** in one batch of
    :func:`netdyn.engines.integrate` (columns ``[ref_0 .. ref_{B-1}, pert_0 ..
    pert_{B-1}]``, gains tiled), so they share every floating-point operation but the state.
    Every ``renorm_interval_ms`` the perturbation is rescaled to its initial norm
    ``perturbation`` (see :func:`benettin_largest`, of which this is an adapter).

    Parameters
    ----------
    network
        The rate network.
    r0
        ``(n_units,)`` or ``(n_units, batch)`` initial states.
    gain
        Scalar or ``(batch,)`` gain per trajectory.
    dt_ms, method, backend
        Integration step, scheme and backend, as for :func:`~netdyn.engines.integrate`.
        The exponent is that of the *discrete* map the integrator defines (for ``"euler"``:
        :math:`r \mapsto r + \frac{dt}{\tau}(\phi(gWr + I) - r)`), which approaches the
        flow's as ``dt -> 0``.
    renorm_interval_ms
        Renormalisation interval; a multiple of ``dt_ms``.
    duration_ms
        Recorded time (after the transient); a multiple of ``renorm_interval_ms``.
    transient_ms
        Time integrated first and discarded; a multiple of ``renorm_interval_ms``.
    perturbation, direction, seed
        Perturbation norm, initial direction (default: random, from ``seed``).
    t0_ms
        Time of ``r0`` (matters only with a time-dependent input).

    Returns
    -------
    BenettinEstimate
        ``exponent`` in 1/s, ``time`` and ``interval`` in s (``time_unit = "s"``).

    Notes
    -----
    A time-dependent input given as an ``(n, batch)`` callable would have to return
    ``2 * batch`` columns here; give inputs as ``(n,)`` instead.
    """
    dt_ms, r, g = rate_arguments(network, r0, gain, method, dt_ms, INTEGRATORS)
    renorm_interval_ms = positive_float(renorm_interval_ms, "renorm_interval_ms")
    steps = n_steps_for(renorm_interval_ms, dt_ms)
    if steps < 1:
        raise ConfigError("renorm_interval_ms", renorm_interval_ms, f"must be at least dt_ms={dt_ms}")
    n_renorm = timegrid.grid_steps(float(duration_ms), renorm_interval_ms, field="duration_ms", step_name="renorm_interval_ms")
    if n_renorm < 1:
        raise ConfigError("duration_ms", duration_ms, "must cover at least one renormalisation interval")
    n_transient = timegrid.grid_steps(float(transient_ms), renorm_interval_ms, field="transient_ms",
                                      step_name="renorm_interval_ms")
    g2 = np.concatenate([g, g])
    clock = [float(t0_ms)]

    def advance(state: np.ndarray, n_steps: int) -> np.ndarray:
        res = integrate(
            network, state, duration_ms=n_steps * dt_ms, dt_ms=dt_ms, gain=g2,
            method=method, backend=backend, t0_ms=clock[0],
        )
        clock[0] = res.t_end_ms
        return res.state

    return benettin_largest(
        advance, r, perturbation=perturbation, renorm_steps=steps, n_renorm=n_renorm,
        transient_renorm=n_transient, dt=dt_ms * 1e-3, direction=direction, seed=seed,
        time_unit="s",
    )


@dataclass(frozen=True, eq=False)
class ODEBenettinEstimate(BenettinEstimate):
    r"""Result of :func:`ode_benettin`: a :class:`BenettinEstimate` with the reference's
    bookkeeping (the SRNN reference's ``benettin_algorithm``) and runaway flags.

    Differences from :func:`benettin_largest`'s result: ``time`` is the end of each
    recorded interval measured from ``accumulate_from`` (the reference's
    :math:`t_k + \tau`, so the first recorded interval, which starts at the first grid
    multiple :math:`t_k \ge` ``accumulate_from``, ends slightly after ``interval``), and
    ``exponent`` is the last finite-time value :math:`\sum_j \ln(d_j/d_0) / (t_K + \tau)`
    (NaN for runaway trajectories), exactly the reference's LLE.

    Attributes
    ----------
    renorm_steps
        Grid steps per interval, ``round(lya_dt / dt)`` (round half to even).
    accumulate_from
        Intervals starting before this time were integrated but not accumulated.
    transient_log_growth
        ``(n_transient, batch)`` :math:`\ln(d_k/d_0)` of those intervals (local exponents
        of the transient: divide by ``interval``).
    interval_start
        ``(n_renorm,)`` absolute start time :math:`t_k` of each recorded interval.
    runaway, runaway_time
        ``(batch,)`` trajectories (reference or perturbed copy) that exceeded
        ``runaway_threshold``, and when (NaN where not); their log growth is NaN from the
        interval in which it happened.
    """

    renorm_steps: int = 0
    accumulate_from: float = 0.0
    transient_log_growth: np.ndarray | None = None
    interval_start: np.ndarray | None = None
    runaway: np.ndarray | None = None
    runaway_time: np.ndarray | None = None


def _tile_params(params: dict[str, Any] | None, batch: int, copies: int = 2) -> dict[str, Any]:
    """Tile array parameters whose first axis is the batch, ``copies`` times along it."""
    out: dict[str, Any] = {}
    for key, value in (params or {}).items():
        if np.ndim(value) >= 1 and np.shape(value)[0] == batch:
            out[key] = np.concatenate([np.asarray(value)] * copies, axis=0)
        else:
            out[key] = value
    return out


def ode_benettin(
    model: Any,
    x0: np.ndarray | None = None,
    *,
    t0: float,
    t1: float,
    dt: float,
    lya_dt: float,
    d0: float = 1e-3,
    accumulate_from: float = 0.0,
    method: str = "rk4",
    rtol: float = 1e-7,
    atol: float = 1e-8,
    max_step: float | None = None,
    params: dict[str, Any] | None = None,
    direction: np.ndarray | None = None,
    seed: SeedLike = None,
    runaway_threshold: float | None = None,
    threads: int = 1,
) -> ODEBenettinEstimate:
    r"""Largest Lyapunov exponent of an ODE model by Benettin's method, with the SRNN
    reference's bookkeeping (the SRNN reference's ``benettin_algorithm``), via
    :func:`benettin_largest`.

    * Grid ``t = t0 + j dt``, ``N = (t1 - t0) / dt`` steps; renormalisation every
      ``deci = round(lya_dt / dt)`` steps (Python's round, half to even: 12 for
      ``lya_dt = 12.5`` ms, ``dt = 1`` ms; MATLAB would take 13), interval
      :math:`\tau` = ``deci * dt``; ``N // deci`` intervals starting at
      :math:`t_k = t_0 + k\tau` (1666 for ``T = [-10, 10]`` s).
    * The initial perturbation has norm ``d0`` over the **whole** state vector (default:
      an isotropic Gaussian direction from ``seed``); after every interval it is rescaled
      to ``d0``; perturbed states are passed through ``model.clip`` (the reference clips
      the STD states into [0, 1]).
    * Intervals with :math:`t_k <` ``accumulate_from`` (the reference: 0) are integrated
      (the perturbation aligns) but not accumulated; the finite-time exponent is
      :math:`\lambda(t_k) = \sum_{t_j \ge a} \ln(d_j/d_0) / (t_k + \tau - a)` and the
      reported exponent is its last value.

    Reference and perturbed trajectories are integrated together, interval by interval,
    by :func:`netdyn.engines.ode.integrate_ode` (``2 * batch`` columns; for RK4 the
    reference trajectory is the same as one uninterrupted run, bit for bit). One
    difference from the reference: the log growth is measured against the separation
    actually set after clipping (:func:`benettin_largest`), not the nominal ``d0``.

    Parameters
    ----------
    model
        An ODE model (:class:`~netdyn.engines.ode.ODEModel`), e.g. an
        :class:`~netdyn.models.srnn.SRNNetwork`.
    x0
        ``(dim,)`` or ``(dim, batch)`` states at ``t0``; default ``model.initial_state(1)``.
    t0, t1, dt
        Span and grid step, in the model's time unit (s for the SRNN).
    lya_dt
        Nominal renormalisation interval (the reference: 0.5 tau_d = 12.5 ms).
    d0
        Perturbation norm (the reference: 1e-3).
    accumulate_from
        Start of the accumulation (the reference: 0).
    method, rtol, atol, max_step
        Integrator (:func:`~netdyn.engines.ode.integrate_ode`).
    params
        Per-trajectory parameters for ``model.rhs`` (arrays whose first axis has length
        ``batch`` are tiled for the perturbed copies).
    direction, seed
        Initial perturbation direction ``(dim,)``/``(dim, batch)``, or its seed.
    runaway_threshold
        As for :func:`~netdyn.engines.ode.integrate_ode`: runaway trajectories are flagged
        and get a NaN exponent instead of stopping the run.
    threads
        Threads of each :func:`~netdyn.engines.ode.integrate_ode` call (RK4 with a compiled
        field: the reference and perturbed columns are split between them; same numbers).

    Returns
    -------
    ODEBenettinEstimate
        Exponents in the inverse time unit of the model (1/s for the SRNN).
    """
    t0, t1, dt = float(t0), float(t1), float(dt)
    n_grid = grid_steps(t0, t1, dt)
    lya_dt = positive_float(lya_dt, "lya_dt")
    deci = int(round(lya_dt * (1.0 / dt)))
    if deci < 1:
        raise ConfigError("lya_dt", lya_dt, f"must be at least dt/2 = {dt / 2}")
    n_int = n_grid // deci
    a = float(accumulate_from)
    if not math.isfinite(a):
        raise ConfigError("accumulate_from", accumulate_from, "must be finite")
    tau = deci * dt
    n_trans = min(n_int, max(0, math.ceil((a - t0) / tau - 1e-9)))
    if n_int - n_trans < 1:
        raise ConfigError("t1", t1, f"leaves no interval of {tau} to accumulate after accumulate_from={a}")
    x = ode_x0(model, x0)
    batch = x.shape[1]
    params2 = _tile_params(params, batch)
    runaway = np.zeros(batch, dtype=bool)
    runaway_time = np.full(batch, np.nan)
    runaway_interval = np.full(batch, n_int)
    clock = [0]  # intervals done

    def advance(state: np.ndarray, n_steps: int) -> np.ndarray:
        k = clock[0]
        ta = t0 + k * tau
        res = integrate_ode(model, state, t0=ta, t1=t0 + (k + 1) * tau, dt=dt, method=method, rtol=rtol,
                            atol=atol, max_step=max_step, params=params2, runaway_threshold=runaway_threshold,
                            threads=threads)
        if runaway_threshold is not None and res.runaway.any():
            hit = res.runaway[:batch] | res.runaway[batch:]
            when = np.fmin(res.runaway_time[:batch], res.runaway_time[batch:])
            new = hit & ~runaway
            runaway[new] = True
            runaway_time[new] = when[new]
            runaway_interval[new] = k
        clock[0] = k + 1
        return res.state

    est = benettin_largest(
        advance, x, perturbation=d0, renorm_steps=deci, n_renorm=n_int, transient_renorm=0, dt=dt,
        direction=direction, seed=seed, constrain=getattr(model, "clip", None),
        time_unit=getattr(model, "time_unit", ""),
    )
    growth = np.array(est.log_growth)
    rows = np.arange(n_int)[:, None]
    growth[rows >= runaway_interval[None, :]] = np.nan
    starts = t0 + tau * np.arange(n_int)
    rec = growth[n_trans:]
    time = starts[n_trans:] + tau - a
    with np.errstate(invalid="ignore"):
        finite = np.cumsum(rec, axis=0) / time[:, None]
    exponent = finite[-1].copy()
    exponent[runaway] = np.nan
    return ODEBenettinEstimate(
        exponent=exponent, log_growth=rec, interval=tau, time=time, state=est.state,
        time_unit=est.time_unit, n_transient=n_trans, renorm_steps=deci, accumulate_from=a,
        transient_log_growth=growth[:n_trans], interval_start=starts[n_trans:],
        runaway=runaway, runaway_time=runaway_time,
    )
