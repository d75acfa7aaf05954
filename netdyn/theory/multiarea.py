r"""Mean-field theory of the multi-area model of macaque visual cortex.

The model's numbers (:func:`netdyn.models.multiarea.multiarea_parameters`, Schmidt et al. 2018)
as a :class:`~netdyn.theory.lif_mean_field.LIFMeanField` (Schuecker et al. 2017, Eq. 3 ff.). For
target population :math:`i` and source :math:`j` at the model's scale (indegrees :math:`K`,
PSC amplitudes :math:`W` in pA, external indegree :math:`K_\mathrm{ext}` and weight
:math:`W_\mathrm{ext}`, DC compensation :math:`I_\mathrm{DC}`):

.. math:: J = W\tau_s/C_m \ \text{(mV)}, \qquad
          \mu_i = \tau_m\sum_j K_{ij}J_{ij}\nu_j + \tau_m K_{\mathrm{ext},i}J_\mathrm{ext}\nu_\mathrm{ext}
          + \frac{\tau_m}{C_m} I_{\mathrm{DC},i},

.. math:: \sigma_i^2 = \tau_m\sum_j K_{ij}J_{ij}^2\nu_j + \tau_m K_{\mathrm{ext},i}J_\mathrm{ext}^2\nu_\mathrm{ext},

with :math:`\tau_m` = 0.01 s in the sums (rates in spikes/s) and :math:`\tau_m` = 10 ms,
:math:`C_m` = 250 pF in the DC term (pA -> mV); threshold and reset relative to rest.

Down-scaling (van Albada, Helias & Diesmann 2015) keeps :math:`\mu` and :math:`\sigma` at the
full-scale reference rates (:math:`K \to kK`, :math:`J \to J/\sqrt k`, the DC term restoring
:math:`(1-\sqrt k)` of the mean input), but the recurrent feedback on :math:`\mu` shrinks by
:math:`\sqrt k`; the down-scaled mean field therefore has a different fixed point from the full
one unless the reference rates are the full-scale fixed point (``reference_rates_hz``).

Populations of areas that are not simulated keep the rates of the input that replaces them
(the full-scale reference rates for ``"het_poisson_stat"``, ``rate_ext_hz`` for
``"hom_poisson_stat"``, none without replacement) and enter as external input.

References
----------
- J. Schuecker, M. Schmidt, S. J. van Albada, M. Diesmann, M. Helias (2017), PLoS Comput. Biol.
  13, e1005179.
- M. Schmidt, R. Bakker, K. Shen, G. Bezgin, M. Diesmann, S. J. van Albada (2018), PLoS Comput.
  Biol. 14, e1006359.
- S. J. van Albada, M. Helias, M. Diesmann (2015), PLoS Comput. Biol. 11, e1004490.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np

from netdyn.errors import ConfigError
from netdyn.theory.lif_mean_field import LIFMeanField, LIFParams, PseudoDynamics

__all__ = ["multiarea_mean_field", "multiarea_rates"]

_KEYS = ("names", "neuron_params", "indegree", "weight_pa", "k_ext", "weight_ext_pa", "rate_ext_hz", "i_dc_pa",
         "simulated", "replace", "k_scaling", "indegree_full", "weight_full_pa", "k_ext_full",
         "weight_ext_full_pa", "fullscale_rates_hz")


def _coefficients(indegree: np.ndarray, weight_pa: np.ndarray, k_ext: np.ndarray, weight_ext_pa: float,
                  rate_ext_hz: float, neuron: Mapping[str, float]) -> tuple[np.ndarray, ...]:
    """Drift, diffusion (mV/Hz, mV^2/Hz) and external mean and variance (mV, mV^2) of the recurrent
    and Poisson input, from indegrees and PSC amplitudes (pA)."""
    tau_m_s = 1e-3 * neuron["tau_m"]
    to_mv = neuron["tau_syn_ex"] / neuron["C_m"]  # J = W tau_s / C_m
    j, j_ext = to_mv * weight_pa, to_mv * weight_ext_pa
    drift = tau_m_s * indegree * j
    diffusion = tau_m_s * indegree * j * j
    mu_ext = tau_m_s * k_ext * j_ext * rate_ext_hz
    sigma2_ext = tau_m_s * k_ext * j_ext * j_ext * rate_ext_hz
    return drift, diffusion, mu_ext, sigma2_ext


def multiarea_mean_field(par: Mapping[str, Any], *, reference_rates_hz: Any = None) -> LIFMeanField:
    r"""The mean field of the multi-area model with the numbers ``par``.

    Parameters
    ----------
    par
        The dict of :func:`netdyn.models.multiarea.multiarea_parameters` (any scale, chi, areas).
    reference_rates_hz
        Full-scale rates (spikes/s, 254) at which the DC compensation restores the mean input,
        :math:`\frac{\tau_m}{C_m}I_\mathrm{DC} = (1-\sqrt{k_K})\,\mu^\text{full}(\nu_\text{ref})`;
        default: the model's own DC (``par["i_dc_pa"]``, from its full-scale reference rates).

    Returns
    -------
    LIFMeanField
        Over the simulated populations (all 254 by default), with their names.

    Raises
    ------
    ConfigError
        ``par`` lacks a key, the synaptic time constants differ, or bad reference rates.
    """
    missing = [k for k in _KEYS if k not in par]
    if missing:
        raise ConfigError("par", f"keys {sorted(par)[:5]}...", f"is not a multiarea_parameters dict: lacks {missing}")
    neuron = par["neuron_params"]
    if neuron["tau_syn_ex"] != neuron["tau_syn_in"]:
        raise ConfigError("par.neuron_params.tau_syn_in", neuron["tau_syn_in"],
                          f"the mean field needs tau_syn_in = tau_syn_ex = {neuron['tau_syn_ex']}")
    lif = LIFParams(theta_mV=neuron["V_th"] - neuron["E_L"], v_reset_mV=neuron["V_reset"] - neuron["E_L"],
                    tau_m_ms=neuron["tau_m"], tau_s_ms=neuron["tau_syn_ex"], t_ref_ms=neuron["t_ref"])
    rate_ext = float(par["rate_ext_hz"])
    drift, diffusion, mu_ext, sigma2_ext = _coefficients(
        np.asarray(par["indegree"], float), np.asarray(par["weight_pa"], float), np.asarray(par["k_ext"], float),
        float(par["weight_ext_pa"]), rate_ext, neuron)
    n = drift.shape[0]
    if reference_rates_hz is None:
        mu_dc = neuron["tau_m"] / neuron["C_m"] * np.asarray(par["i_dc_pa"], float)
    else:
        ref = np.asarray(reference_rates_hz, dtype=np.float64)
        if ref.shape != (n,) or not np.all(np.isfinite(ref)) or np.any(ref < 0):
            raise ConfigError("reference_rates_hz", ref.shape, f"must be {n} finite rates >= 0 (spikes/s)")
        full_drift, _, full_mu_ext, _ = _coefficients(
            np.asarray(par["indegree_full"], float), np.asarray(par["weight_full_pa"], float),
            np.asarray(par["k_ext_full"], float), float(par["weight_ext_full_pa"]), rate_ext, neuron)
        mu_dc = (1.0 - math.sqrt(par["k_scaling"])) * (full_drift @ ref + full_mu_ext)
    mu_ext = mu_ext + mu_dc

    sim = np.asarray(par["simulated"], dtype=bool)
    if not sim.all():
        replace = par["replace"]
        fixed = np.zeros(n)
        if replace == "het_poisson_stat":
            fixed = np.asarray(par["fullscale_rates_hz"], float)
        elif replace == "hom_poisson_stat":
            fixed = np.full(n, rate_ext)
        fixed = np.where(sim, 0.0, fixed)
        mu_ext = mu_ext + drift @ fixed
        sigma2_ext = sigma2_ext + diffusion @ fixed
    keep = np.flatnonzero(sim)
    return LIFMeanField(drift[np.ix_(keep, keep)], diffusion[np.ix_(keep, keep)], mu_ext[keep], sigma2_ext[keep],
                        neuron=lif, names=[par["names"][i] for i in keep])


def multiarea_rates(par: Mapping[str, Any], *, rates0_hz: Any = None, t_end_ms: float = 50.0, dt_ms: float = 0.1,
                    tau_r_ms: float = 1.0, trajectory: bool = False,
                    reference_rates_hz: Any = None) -> PseudoDynamics:
    r"""Population rates of the multi-area model's mean field at ``t_end_ms``.

    The pseudo-dynamics :math:`\tau_r\dot\nu = -\nu + \Phi(\mu(\nu), \sigma(\nu))` of
    :func:`multiarea_mean_field` integrated by exponential Euler (Schuecker et al. 2017; the
    reference's settings by default: :math:`\tau_r` = 1 ms, :math:`h` = 0.1 ms, :math:`T` = 50 ms,
    from rest). Ground state at scale 0.005: mean over the 254 populations 29.588 spikes/s;
    at full scale 3.729 spikes/s.

    Parameters
    ----------
    par
        The dict of :func:`netdyn.models.multiarea.multiarea_parameters`.
    rates0_hz
        Initial rates (spikes/s) of the simulated populations, ``(n,)`` or ``(n, batch)``;
        default 0.
    t_end_ms, dt_ms, tau_r_ms, trajectory
        As :meth:`LIFMeanField.integrate`.
    reference_rates_hz
        As :func:`multiarea_mean_field`.

    Returns
    -------
    PseudoDynamics
        Rates at :math:`T` (spikes/s), :math:`\mu` and :math:`\sigma` (mV), the trajectory if asked.
    """
    mf = multiarea_mean_field(par, reference_rates_hz=reference_rates_hz)
    return mf.integrate(rates0_hz, t_end_ms=t_end_ms, dt_ms=dt_ms, tau_r_ms=tau_r_ms, trajectory=trajectory)
