r"""Lyapunov exponents: the chaos seed's twin-trajectory estimate, Benettin's renormalised
largest exponent and the full spectrum by QR re-orthonormalisation of tangent vectors.

Three estimators, from the most to the least biased:

:func:`twin_trajectory_exponent`
    The chaos seed's "data curation" (spec ``chaos.md``), reproduced exactly: a straight-line
    fit to the log of the trial-averaged distance between two trajectories that start
    ``1e-4`` apart and are never renormalised. Biased (see its notes); kept because it is the
    published method.
:func:`benettin_largest` / :func:`rate_benettin`
    Benettin et al. (1980): a small perturbation is carried along a reference trajectory and
    rescaled to its initial norm after every interval; the mean log growth per unit time is
    the largest exponent.
:func:`qr_spectrum` / :func:`rate_lyapunov_spectrum`
    Shimada & Nagashima (1979), Benettin et al. (1980), Wolf et al. (1985): ``k`` tangent
    vectors are advanced with the linearised dynamics and re-orthonormalised by a QR
    decomposition; the time-averaged ``log |R_ii|`` are the ``k`` largest exponents.

The generic cores (:func:`benettin_largest`, :func:`qr_spectrum`) know nothing of rate
networks: they advance any batched system whose state is an array of shape
``(dim, batch)`` (one column per independent trajectory), through a user function. They work
in the time unit of their ``dt`` argument (an iteration of a map: ``dt = 1``). The rate
network adapters pass ``dt`` in seconds, so that **every exponent they return is in 1/s**,
while the engine itself works in ms.

References
----------
.. [B80] G. Benettin, L. Galgani, A. Giorgilli, J.-M. Strelcyn (1980), "Lyapunov
   characteristic exponents for smooth dynamical systems and for Hamiltonian systems; a
   method for computing all of them", Meccanica 15, 9-20 (part 1: theory) and 21-30
   (part 2: numerical application).
.. [SN79] I. Shimada, T. Nagashima (1979), "A numerical approach to ergodic problem of
   dissipative dynamical systems", Prog. Theor. Phys. 61, 1605-1616.
.. [W85] A. Wolf, J. B. Swift, H. L. Swinney, J. A. Vastano (1985), "Determining Lyapunov
   exponents from a time series", Physica D 16, 285-317.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from netdyn.engines.ode import grid_steps, integrate_ode
from netdyn.engines.rate import INTEGRATORS, integrate, n_steps_for
from netdyn.errors import ConfigError, NumericalInstabilityError, positive_float
from netdyn.models.rate import RateNetwork
from netdyn.seeding import SeedLike, as_generator

__all__ = [
    "BenettinEstimate",
    "ODEBenettinEstimate",
    "ODESpectrumEstimate",
    "SpectrumEstimate",
    "TwinEstimate",
    "benettin_largest",
    "ode_benettin",
    "ode_lyapunov_spectrum",
    "qr_spectrum",
    "rate_benettin",
    "rate_lyapunov_spectrum",
    "twin_trajectory_exponent",
]

AdvanceFn = Callable[[np.ndarray, int], np.ndarray]
StepTangentFn = Callable[[np.ndarray, np.ndarray], "tuple[np.ndarray, np.ndarray]"]


# --------------------------------------------------------------------------------------
# helpers


def _positive_int(value: Any, field: str, *, allow_zero: bool = False) -> int:
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not ok and isinstance(value, float) and value.is_integer():
        ok = True
    if not ok or value < (0 if allow_zero else 1):
        raise ConfigError(field, value, f"must be an integer >= {0 if allow_zero else 1}")
    return int(value)


_positive_float = positive_float


def _count(total: float, unit: float, field: str, unit_name: str) -> int:
    """``total / unit`` as an integer; ConfigError unless it divides evenly."""
    n = round(total / unit)
    if n < 0 or abs(n * unit - total) > 1e-9 * max(1.0, abs(total)):
        raise ConfigError(field, total, f"must be a non-negative multiple of {unit_name}={unit}")
    return int(n)


def _as_batch(x0: np.ndarray, field: str = "x0") -> np.ndarray:
    x = np.array(x0, dtype=np.float64, copy=True)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1:
        raise ConfigError(field, np.shape(x0), "must have shape (dim,) or (dim, batch)")
    if not np.all(np.isfinite(x)):
        raise ConfigError(field, "non-finite values", "initial states must be finite")
    return x


def _gains(gain: Any, batch: int) -> np.ndarray:
    try:
        g = np.array(np.broadcast_to(np.asarray(gain, dtype=np.float64), (batch,)))
    except ValueError:
        raise ConfigError("gain", np.shape(gain), f"must be a scalar or have shape ({batch},)") from None
    if not np.all(np.isfinite(g)):
        raise ConfigError("gain", gain, "must be finite")
    return g


# --------------------------------------------------------------------------------------
# 1. the chaos seed's twin-trajectory estimate


@dataclass(frozen=True, eq=False)
class TwinEstimate:
    """Result of :func:`twin_trajectory_exponent`.

    Attributes
    ----------
    exponent_per_s
        Largest Lyapunov exponent estimate in 1/s (slope of the fit in 1/ms times 1000);
        NaN when no trial was kept, when fewer than 2 points lie before the cut, or when the
        fitted values are not finite (a zero mean divergence).
    n_kept
        Number of trials kept (divergence at the last step ``>= final_threshold``).
    cut_index
        Index of the first step with ``log D >= cut_fraction * max log D``; the fit uses
        steps ``0 .. cut_index - 1``. Equals ``n_time`` when no step satisfies the criterion
        (then all points are used), and ``0`` when no trial was kept.
    mean_divergence
        ``(n_time,)`` mean divergence ``D(t)`` over the kept trials; when **no** trial was
        kept it is the mean over *all* trials (for plotting), and no fit is made.
    kept
        ``(n_trials,)`` boolean mask of the kept trials.
    intercept
        Intercept of the fitted line of ``log D`` at ``t = 0 ms`` (NaN when no fit).
    """

    exponent_per_s: float
    n_kept: int
    cut_index: int
    mean_divergence: np.ndarray
    kept: np.ndarray
    intercept: float = float("nan")


def twin_trajectory_exponent(
    divergence: np.ndarray,
    time_ms: np.ndarray,
    *,
    final_threshold: float = 1.0,
    cut_fraction: float = 0.8,
) -> TwinEstimate:
    r"""Largest Lyapunov exponent from the divergence of twin trajectories (chaos seed).

    This is the seed's estimator, reproduced exactly (spec ``chaos.md``, "Analysis"):

    1. keep the trials whose divergence at the **last** step is ``>= final_threshold``
       ("non-stable" trials);
    2. :math:`D(t) = \langle d(t) \rangle_\text{kept}`, the mean over kept trials of
       :math:`d(t) = \|r_\text{twin}(t) - r(t)\|_2`;
    3. :math:`k^* = \min\{k : \ln D(t_k) \ge c \max_j \ln D(t_j)\}` with ``c = cut_fraction``;
    4. least-squares line :math:`\ln D(t_k) \approx a + s\, t_k` over :math:`k < k^*`, time in
       ms; the exponent is :math:`\lambda = 1000\, s` in 1/s.

    Parameters
    ----------
    divergence
        ``(n_trials, n_time)`` distances ``d(t)`` (one row per trial; a 1-D array is one
        trial). An :class:`xarray.DataArray` with a ``"time"`` dimension, such as the result
        of :class:`~netdyn.record.observers.TwinDivergence` (``(time, pair)``), is
        transposed to put time last.
    time_ms
        ``(n_time,)`` sample times in ms.
    final_threshold
        Trials with ``d(t_last) >= final_threshold`` are kept (the seed: 1).
    cut_fraction
        Fraction ``c`` of :math:`\max_t \ln D` that ends the fitted range (the seed: 0.8).

    Returns
    -------
    TwinEstimate

    Notes
    -----
    Logarithms are natural. Assumptions and biases of this estimator, none of which are
    corrected here (this is the published method, to be compared with the published
    numbers; use :func:`rate_benettin` or :func:`rate_lyapunov_spectrum` for unbiased
    estimates):

    * the perturbation is never renormalised, so the fitted range contains the initial
      alignment of the perturbation with the unstable direction (during which ``d`` can
      even shrink) and the onset of saturation near the cut;
    * averaging ``d`` before taking the log, :math:`\ln\langle d\rangle \ge \langle\ln d
      \rangle`, weighs fast-diverging trials more;
    * the criterion uses ``cut_fraction * max ln D``, which is only meaningful when
      :math:`\max \ln D > 0` (``D`` saturates above 1, as for the seed's ``g >= 10``). When
      :math:`\max \ln D < 0`, ``c * max`` lies *above* the maximum and no step satisfies the
      criterion: then, as documented, all points are used (``cut_index = n_time``). When
      the very first point already satisfies it (``cut_index`` 0 or 1) the fit has fewer
      than 2 points and the exponent is NaN.
    * dropping trials that did not reach ``final_threshold`` selects diverging trials; when
      none is kept the result is NaN (the seed reports no exponent for such networks).
    """
    dims = getattr(divergence, "dims", None)
    if dims is not None and "time" in dims:
        divergence = divergence.transpose(*[d for d in dims if d != "time"], "time")
    d = np.asarray(divergence, dtype=np.float64)
    if d.ndim == 1:
        d = d[None, :]
    t = np.asarray(time_ms, dtype=np.float64)
    if d.ndim != 2 or d.shape[1] < 1:
        raise ConfigError("divergence", np.shape(divergence), "must have shape (n_trials, n_time)")
    if t.shape != (d.shape[1],):
        raise ConfigError("time_ms", t.shape, f"must have shape ({d.shape[1]},) to match divergence")
    if not math.isfinite(cut_fraction):
        raise ConfigError("cut_fraction", cut_fraction, "must be finite")
    n_time = d.shape[1]

    kept = d[:, -1] >= final_threshold
    n_kept = int(kept.sum())
    if n_kept == 0:
        mean_all = d.mean(axis=0) if d.shape[0] else np.full(n_time, np.nan)
        return TwinEstimate(float("nan"), 0, 0, mean_all, kept)

    mean_d = d[kept].mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_d = np.log(mean_d)
    threshold = cut_fraction * np.max(log_d)
    hits = np.flatnonzero(log_d >= threshold)
    cut = int(hits[0]) if hits.size else n_time
    tt, yy = t[:cut], log_d[:cut]
    if cut < 2 or not (np.all(np.isfinite(yy)) and np.all(np.isfinite(tt))):
        return TwinEstimate(float("nan"), n_kept, cut, mean_d, kept)
    tc = tt - tt.mean()
    denom = float(np.dot(tc, tc))
    if denom == 0.0:
        return TwinEstimate(float("nan"), n_kept, cut, mean_d, kept)
    slope = float(np.dot(tc, yy - yy.mean()) / denom)
    intercept = float(yy.mean() - slope * tt.mean())
    return TwinEstimate(slope * 1000.0, n_kept, cut, mean_d, kept, intercept)


# --------------------------------------------------------------------------------------
# 2. Benettin's largest exponent


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
        :attr:`exponent`."""
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
    renorm_steps = _positive_int(renorm_steps, "renorm_steps")
    n_renorm = _positive_int(n_renorm, "n_renorm")
    transient_renorm = _positive_int(transient_renorm, "transient_renorm", allow_zero=True)
    dt = _positive_float(dt, "dt")
    d0 = _positive_float(perturbation, "perturbation")
    x = _as_batch(x0)
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
    if not isinstance(network, RateNetwork):
        raise ConfigError("network", type(network).__name__, "must be a RateNetwork")
    if method not in INTEGRATORS:
        raise ConfigError("method", method, f"unknown integrator; expected one of {list(INTEGRATORS)}")
    dt_ms = _positive_float(dt_ms, "dt_ms")
    renorm_interval_ms = _positive_float(renorm_interval_ms, "renorm_interval_ms")
    steps = n_steps_for(renorm_interval_ms, dt_ms)
    if steps < 1:
        raise ConfigError("renorm_interval_ms", renorm_interval_ms, f"must be at least dt_ms={dt_ms}")
    n_renorm = _count(float(duration_ms), renorm_interval_ms, "duration_ms", "renorm_interval_ms")
    if n_renorm < 1:
        raise ConfigError("duration_ms", duration_ms, "must cover at least one renormalisation interval")
    n_transient = _count(float(transient_ms), renorm_interval_ms, "transient_ms", "renorm_interval_ms")
    r = _as_batch(r0, "r0")
    if r.shape[0] != network.n_units:
        raise ConfigError("r0", np.shape(r0), f"must be ({network.n_units},) or ({network.n_units}, batch)")
    g = _gains(gain, r.shape[1])
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


# --------------------------------------------------------------------------------------
# 3. full spectrum by QR


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
    n_steps = _positive_int(n_steps, "n_steps")
    transient_steps = _positive_int(transient_steps, "transient_steps", allow_zero=True)
    qr_every = _positive_int(qr_every, "qr_every")
    dt = _positive_float(dt, "dt")
    if n_steps % qr_every:
        raise ConfigError("n_steps", n_steps, f"must be a multiple of qr_every={qr_every}")
    if transient_steps % qr_every:
        raise ConfigError("transient_steps", transient_steps, f"must be a multiple of qr_every={qr_every}")
    if history_every is not None:
        history_every = _positive_int(history_every, "history_every")
    x = _as_batch(x0)
    dim, batch = x.shape

    if Q0 is None:
        k = dim if n_exponents is None else _positive_int(n_exponents, "n_exponents")
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
    if not isinstance(network, RateNetwork):
        raise ConfigError("network", type(network).__name__, "must be a RateNetwork")
    if method not in INTEGRATORS:
        raise ConfigError("method", method, f"unknown integrator; expected one of {list(INTEGRATORS)}")
    dt_ms = _positive_float(dt_ms, "dt_ms")
    qr_every_steps = _positive_int(qr_every_steps, "qr_every_steps")
    n_steps = n_steps_for(float(duration_ms), dt_ms)
    n_transient = n_steps_for(float(transient_ms), dt_ms)
    if n_steps < 1:
        raise ConfigError("duration_ms", duration_ms, f"must be at least dt_ms={dt_ms}")
    if n_steps % qr_every_steps:
        raise ConfigError("duration_ms", duration_ms, f"must be a multiple of qr_every_steps * dt_ms = {qr_every_steps * dt_ms}")
    if n_transient % qr_every_steps:
        raise ConfigError("transient_ms", transient_ms, f"must be a multiple of qr_every_steps * dt_ms = {qr_every_steps * dt_ms}")
    r = _as_batch(r0, "r0")
    if r.shape[0] != network.n_units:
        raise ConfigError("r0", np.shape(r0), f"must be ({network.n_units},) or ({network.n_units}, batch)")
    g = _gains(gain, r.shape[1])
    tau = float(network.tau_ms)
    w = network.weights
    phi = network.phi
    n = network.n_units

    def drive(state: np.ndarray, t_ms: float) -> np.ndarray:
        """x = g W r + I(t), (n, batch)."""
        x = (w @ state) * g
        inp = network.input_at(t_ms)
        if inp is not None:
            x = x + (inp[:, None] if inp.ndim == 1 else inp)
        return x

    def field_and_slope(state: np.ndarray, t_ms: float) -> tuple[np.ndarray, np.ndarray]:
        """f = (phi(x) - r) / tau in 1/ms, and g * phi'(x), both (n, batch)."""
        x = drive(state, t_ms)
        slope = phi.dphi(x) * g
        f = phi.apply_inplace(x)
        f -= state
        f /= tau
        return f, slope

    if dense_jacobian:

        def jac_times(state: np.ndarray, slope: np.ndarray, t_ms: float, q: np.ndarray) -> np.ndarray:
            return network.jacobian(state, g, t_ms) @ q

    else:

        def jac_times(state: np.ndarray, slope: np.ndarray, t_ms: float, q: np.ndarray) -> np.ndarray:
            # J Q = (-Q + diag(phi'(x) g) W Q) / tau, one sparse/dense product for the batch
            batch, _, k = q.shape
            wq = w @ q.transpose(1, 0, 2).reshape(n, batch * k)
            out = wq.reshape(n, batch, k).transpose(1, 0, 2) * slope.T[:, :, None]
            out -= q
            out /= tau
            return out

    clock = [float(t0_ms)]
    h = dt_ms
    relax = -math.expm1(-dt_ms / tau)  # exponential-Euler weight a

    def step_tangent(state: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = clock[0]
        if method in ("euler", "exp_euler"):
            c = h if method == "euler" else relax * tau
            f, slope = field_and_slope(state, t)
            q = q + c * jac_times(state, slope, t, q)
            state = state + c * f
        else:
            k1, d1 = field_and_slope(state, t)
            s2 = state + 0.5 * h * k1
            k2, d2 = field_and_slope(s2, t + 0.5 * h)
            s3 = state + 0.5 * h * k2
            k3, d3 = field_and_slope(s3, t + 0.5 * h)
            s4 = state + h * k3
            k4, d4 = field_and_slope(s4, t + h)
            q1 = jac_times(state, d1, t, q)
            q2 = jac_times(s2, d2, t + 0.5 * h, q + 0.5 * h * q1)
            q3 = jac_times(s3, d3, t + 0.5 * h, q + 0.5 * h * q2)
            q4 = jac_times(s4, d4, t + h, q + h * q3)
            state = state + (h / 6.0) * (k1 + 2.0 * (k2 + k3) + k4)
            q = q + (h / 6.0) * (q1 + 2.0 * (q2 + q3) + q4)
        bad = np.flatnonzero(~np.isfinite(state))
        if bad.size:
            unit, col = divmod(int(bad[0]), state.shape[1])
            raise NumericalInstabilityError(
                step=round((t - t0_ms) / h), time_ms=t, trajectory=col, unit=unit, value=float(state[unit, col])
            )
        clock[0] = t + h
        return state, q

    return qr_spectrum(
        step_tangent, r, Q0, n_steps=n_steps, dt=dt_ms * 1e-3, transient_steps=n_transient,
        qr_every=qr_every_steps, n_exponents=n_exponents, history_every=history_every,
        seed=seed, time_unit="s",
    )


# --------------------------------------------------------------------------------------
# 4. adapters for ODE models (netdyn.engines.ode; the SRNN)


@dataclass(frozen=True, eq=False)
class ODEBenettinEstimate(BenettinEstimate):
    r"""Result of :func:`ode_benettin`: a :class:`BenettinEstimate` with the reference's
    bookkeeping (spec ``srnn.md`` 1.5) and runaway flags.

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


def _ode_x0(model: Any, x0: np.ndarray | None) -> np.ndarray:
    if x0 is None:
        if not hasattr(model, "initial_state"):
            raise ConfigError("x0", None, "the model has no initial_state(); give x0")
        return model.initial_state(1)
    x = _as_batch(x0)
    if x.shape[0] != int(model.dim):
        raise ConfigError("x0", np.shape(x0), f"must be ({model.dim},) or ({model.dim}, batch)")
    return x


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
) -> ODEBenettinEstimate:
    r"""Largest Lyapunov exponent of an ODE model by Benettin's method, with the SRNN
    reference's bookkeeping (spec ``srnn.md`` 1.5), via :func:`benettin_largest`.

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

    Returns
    -------
    ODEBenettinEstimate
        Exponents in the inverse time unit of the model (1/s for the SRNN).
    """
    t0, t1, dt = float(t0), float(t1), float(dt)
    n_grid = grid_steps(t0, t1, dt)
    lya_dt = _positive_float(lya_dt, "lya_dt")
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
    x = _ode_x0(model, x0)
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
                            atol=atol, max_step=max_step, params=params2, runaway_threshold=runaway_threshold)
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

    Returns
    -------
    ODESpectrumEstimate
        ``exponents (batch, k)`` in the inverse time unit of the model, descending.
    """
    t0, t1, dt = float(t0), float(t1), float(dt)
    n_grid = grid_steps(t0, t1, dt)
    qr_every = _positive_int(qr_every, "qr_every")
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
    x = _ode_x0(model, x0)
    batch = x.shape[1]
    kw = dict(params or {})
    clip = getattr(model, "clip", None)
    h = dt
    ms = {"s": 1000.0, "ms": 1.0}.get(getattr(model, "time_unit", "ms"), 1.0)
    runaway = np.zeros(batch, dtype=bool)
    runaway_time = np.full(batch, np.nan)
    step_no = [0]

    def f(t: float, s: np.ndarray) -> np.ndarray:
        return model.rhs(t, np.ascontiguousarray(s), np.empty(s.shape), **kw)

    def step_tangent(state: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = step_no[0]
        t = t0 + k * h
        v = q.transpose(1, 0, 2)  # (dim, batch, k)
        k1 = f(t, state)
        q1 = model.jvp(t, state, v, **kw)
        s2 = state + (0.5 * h) * k1
        k2 = f(t + 0.5 * h, s2)
        q2 = model.jvp(t + 0.5 * h, s2, v + (0.5 * h) * q1, **kw)
        s3 = state + (0.5 * h) * k2
        k3 = f(t + 0.5 * h, s3)
        q3 = model.jvp(t + 0.5 * h, s3, v + (0.5 * h) * q2, **kw)
        s4 = state + h * k3
        t_next = t0 + (k + 1) * h
        k4 = f(t_next, s4)
        q4 = model.jvp(t_next, s4, v + h * q3, **kw)
        new = state + (h / 6.0) * (k1 + 2.0 * (k2 + k3) + k4)
        v_new = v + (h / 6.0) * (q1 + 2.0 * (q2 + q3) + q4)
        if clip is not None:
            clip(new)
        if runaway.any():  # frozen trajectories keep their state and tangent vectors
            new[:, runaway] = state[:, runaway]
            v_new[:, runaway] = v[:, runaway]
        bad = ~np.isfinite(new)
        if bad.any():
            row, col = (int(i) for i in np.argwhere(bad)[0])
            raise NumericalInstabilityError(step=k, time_ms=t * ms, trajectory=col, unit=row, value=float(new[row, col]))
        if runaway_threshold is not None:
            hit = (np.abs(new).max(axis=0) > runaway_threshold) & ~runaway
            runaway_time[hit] = t_next
            runaway[hit] = True
        step_no[0] = k + 1
        return new, np.ascontiguousarray(v_new.transpose(1, 0, 2))

    compiled = getattr(model, "compiled_rk4_tangent", None)
    advance = compiled(t0, t0 + (n_trans + n_avg) * dt, batch, kw) if compiled is not None else None
    if advance is not None:
        # the same steps, qr_every at a time, in compiled code
        threshold = 0.0 if runaway_threshold is None else float(runaway_threshold)

        def step_block(state: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            k = step_no[0]
            xs = np.array(state, dtype=np.float64, order="C")
            v = np.ascontiguousarray(q.transpose(1, 0, 2))
            bad = advance(xs, v, t0, k, h, qr_every, clip is not None, threshold, runaway, runaway_time)
            if bad >= 0:
                row, col = (int(i) for i in np.argwhere(~np.isfinite(xs))[0])
                raise NumericalInstabilityError(step=bad, time_ms=(t0 + bad * h) * ms, trajectory=col, unit=row,
                                                value=float(xs[row, col]))
            step_no[0] = k + qr_every
            return xs, np.ascontiguousarray(v.transpose(1, 0, 2))

        est = qr_spectrum(
            step_block, x, Q0, n_steps=n_avg // qr_every, dt=dt * qr_every, transient_steps=n_trans // qr_every,
            qr_every=1, n_exponents=n_exponents, history_every=history_every, seed=seed,
            time_unit=getattr(model, "time_unit", ""),
        )
    else:
        est = qr_spectrum(
            step_tangent, x, Q0, n_steps=n_avg, dt=dt, transient_steps=n_trans, qr_every=qr_every,
            n_exponents=n_exponents, history_every=history_every, seed=seed,
            time_unit=getattr(model, "time_unit", ""),
        )
    exponents = np.array(est.exponents)
    exponents[runaway] = np.nan
    return ODESpectrumEstimate(
        exponents=exponents, log_r_sum=est.log_r_sum, duration=est.duration, history=est.history,
        history_time=est.history_time, state=est.state, tangent=est.tangent, time_unit=est.time_unit,
        runaway=runaway, runaway_time=runaway_time,
    )
