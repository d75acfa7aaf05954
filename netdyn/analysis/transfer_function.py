"""Transfer functions measured by simulation: output rates of single cells on a grid of input
rates, the data that the semi-analytical template of :mod:`netdyn.theory.mean_field`
is fitted to (Zerlaut et al. 2016, J Physiol 594:3791; 2018, J Comput Neurosci 44:45)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from netdyn.engines.spiking import Network
from netdyn.errors import ConfigError
from netdyn.theory.mean_field import SynapticInput

__all__ = ["measure_transfer_function"]


def measure_transfer_function(cell_params: dict[str, float], inputs: Sequence[SynapticInput],
                              rate_grids_hz: Sequence[np.ndarray], *, n_neurons: int = 20, duration_ms: float = 3000.0,
                              discard_ms: float = 500.0, dt_ms: float = 0.1, seed: int = 0,
                              model: str = "adex_cond_exp", statistics: str = "bernoulli") -> np.ndarray:
    """Output rates (Hz) of single cells driven at every point of a grid of input rates.

    All grid points are simulated at once: one population of ``n_neurons`` unconnected cells
    per point, each input an independent per-neuron drive (the seed's Bernoulli-per-step rule
    by default). ``rate_grids_hz`` holds one array per input, all of one shape; the result has
    that shape. ``cell_params`` are the model's parameters (e.g. the AdEx ``g_l_nS`` ...). The
    rates feed :func:`netdyn.theory.fit_transfer_function`.
    """

    grids = np.broadcast_arrays(*[np.asarray(g, dtype=np.float64) for g in rate_grids_hz])
    if len(grids) != len(inputs):
        raise ConfigError("rate_grids_hz", len(grids), f"needs one grid per input ({len(inputs)})")
    if not discard_ms < duration_ms:
        raise ConfigError("discard_ms", discard_ms, f"must be < duration_ms = {duration_ms}")
    shape = grids[0].shape
    flat = [g.ravel() for g in grids]
    receptors = [{"name": f"in{j}", "tau_ms": syn.tau_ms, "e_rev_mV": syn.e_rev_mV} for j, syn in enumerate(inputs)]
    pops, drives = [], []
    for k in range(flat[0].size):
        name = f"g{k}"
        pops.append({"name": name, "n_neurons": n_neurons, "model": model, "params": dict(cell_params),
                     "receptors": receptors})
        for j, syn in enumerate(inputs):
            if flat[j][k] > 0 and syn.indegree > 0:
                drives.append({"name": f"{name}.in{j}", "target": name, "receptor": f"in{j}",
                               "n_inputs": int(round(syn.indegree)), "weight": syn.q_nS, "rate": float(flat[j][k]),
                               "statistics": statistics})
    net = Network({"dt_ms": dt_ms, "seed": seed, "populations": pops, "drives": drives,
                   "record": {"spikes": [], "rate_bin_ms": 1.0}})
    rec = net.run(duration_ms, progress=False).recording()
    start = int(round(discard_ms))
    rates = np.array([rec.population_rates[f"g{k}"].values[start:].mean() for k in range(flat[0].size)])
    return rates.reshape(shape)
