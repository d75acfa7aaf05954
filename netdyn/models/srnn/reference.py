r"""The SRNN reference's defaults: adaptation timescales and the basic example network.

The basic example of the SRNN reference (T. Richner, *Stable Random Nonlinear Networks*):
n = 10 neurons (7 E, 3 I), mean degree 5, Dale's law, tau_d = 25 ms, three SFA timescales
and one STD timescale on E neurons, 20 s from t = -10 s with stimuli on neuron 0.
"""

from __future__ import annotations

import math

import numpy as np

from netdyn.connectivity.dale import default_weight_scale, strongly_connected_dale
from netdyn.errors import ConfigError, positive_float
from netdyn.models.inputs import SampledInput
from netdyn.models.srnn.network import ADAPTATIONS, SRNNetwork, StdVariant
from netdyn.seeding import SeedLike
from netdyn.timegrid import grid_steps

__all__ = ["basic_example_input", "basic_example_network", "sfa_timescales", "std_timescales"]


def sfa_timescales(n_a: int, tau_min_s: float = 0.3, tau_max_s: float = 15.0) -> tuple[float, ...]:
    r"""SFA timescales of the reference, log-spaced: ``logspace(log10 tau_min, log10 tau_max, n_a)`` s.

    ``n_a = 3`` with the defaults gives ``(0.3, 2.1213, 15.0)`` s (its parameter table). For
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
    reference writes it (its parameter table); ``n_b = 0`` gives ``()``."""
    if isinstance(n_b, bool) or not isinstance(n_b, (int, np.integer)) or n_b < 0:
        raise ConfigError("n_b", n_b, "must be an integer >= 0")
    if not (math.isfinite(tau_std_s) and tau_std_s > 0):
        raise ConfigError("tau_std_s", tau_std_s, "must be a finite number > 0 (seconds)")
    if n_b == 0:
        return ()
    if n_b == 1:
        return (4.0 * float(tau_std_s),)
    return tuple(float(v) for v in np.logspace(0.6, 9.0, int(n_b)))


def basic_example_input(t_s: np.ndarray, n_units: int = 10, *, t_start_s: float | None = None) -> np.ndarray:
    r"""Input samples of the reference's basic example, ``(len(t_s), n_units)``.

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
    r"""The reference's basic example as an :class:`SRNNetwork`.

    Weights from :func:`~netdyn.connectivity.dale.strongly_connected_dale` with the
    reference scale ``s = 0.5 / 0.79782`` (``w_ee = w_ee_factor * s``, ``w_ei = w_ie = s``,
    ``w_ii = s / 2``); ``seed=42000`` (default) draws the reference's example network "seed 42"
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
        Multiplies ``w_ee`` (the MATLAB "bursting" setting is 2).
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
    fs = positive_float(fs_hz, "fs_hz")
    if not t1 > t0:
        raise ConfigError("t_span_s", t_span_s, "must be increasing")
    n_samples = grid_steps(t1 - t0, 1.0 / fs, field="t_span_s", value=t_span_s, step_name="1/fs_hz", origin=t0,
                           minimum=1) + 1
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
