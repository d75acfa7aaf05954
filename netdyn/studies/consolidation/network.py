"""The network of the consolidation study as a :class:`~netdyn.models.spiking.spec.NetworkSpec`,
and the schedule of its detailed and consolidation phases.

Neurons are ``lif_psc_exp`` (exact integration; clamped to V_reset for t_ref after a spike)
with one exponential current receptor of time constant tau_syn: a PSP variable of w mV is a
current of w / R. E->E synapses are plastic (rule ``calcium_stc``, initial weight h_0), the
others static (E->I w_ei h_0, I->E -w_ie h_0, I->I -w_ii h_0), all with the axonal delay.
Inputs are Ornstein-Uhlenbeck currents: background on every neuron, learning pulses on the
assembly (the first ``n_ca`` excitatory neurons), recall pulses on its first ``p_r n_ca``;
an EXPLICIT stimulus forces spikes with one-step currents. The wiring is ``smallnet2`` /
``smallnet3`` (fixed) or random (every ordered pair with probability p_c, no autapses, drawn
from the seed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from netdyn.config.consolidation import ConsolidationConfig, Stimulus
from netdyn.errors import ConfigError
from netdyn.models.spiking.plasticity import get_rule
from netdyn.models.spiking.spec import NetworkSpec

#: The fixed wirings (pre, post) of the reference's small networks (neuron 4: inhibitory).
SMALL_NETWORKS: dict[str, tuple[tuple[int, int], ...]] = {
    "smallnet2": ((0, 1), (0, 2), (0, 3), (2, 3), (3, 2)),
    "smallnet3": ((0, 1), (0, 2), (0, 3), (2, 3), (3, 2), (2, 4), (3, 4), (4, 2), (4, 3)),
}
FORCED_SPIKE_FACTOR = 1000.0
"""An EXPLICIT spike is a one-step current of ``1000 (V_th - V_reset) C / tau_m e^{dt/tau_m}``:
it lifts V far above threshold within the step from anywhere above V_reset."""


def plastic_parameters(config: ConsolidationConfig) -> dict[str, Any]:
    """Every ``calcium_stc`` parameter of a configuration (R_mem is the neuron's R_leak);
    ConfigError naming ``plasticity.<name>`` for a bad one."""
    given = {**config.resolved()["plasticity"], "r_mem_MOhm": config.r_leak_MOhm}
    return get_rule("calcium_stc").parse_params(given, "plasticity").to_dict()


def _neuron_params(config: ConsolidationConfig) -> dict[str, float]:
    return {"c_m_pF": config.c_mem_pF, "tau_m_ms": config.r_leak_MOhm * config.c_mem_pF * 1e-3,
            "e_l_mV": config.v_rev_mV, "v_th_mV": config.v_th_mV, "v_reset_mV": config.v_reset_mV,
            "t_ref_ms": config.t_ref_ms}


def _pairs(config: ConsolidationConfig, source: str, target: str) -> dict[str, Any]:
    """The connection rule of one projection."""
    r = config.resolved()
    if r["network"] == "random":
        return {"rule": "fixed_probability", "p": r["p_c"], "autapses": False}
    n_exc = r["n_exc"]
    pre, post = [], []
    for a, b in SMALL_NETWORKS[r["network"]]:
        if (a < n_exc) == (source == "E") and (b < n_exc) == (target == "E"):
            pre.append(a if source == "E" else a - n_exc)
            post.append(b if target == "E" else b - n_exc)
    return {"rule": "explicit", "pre": pre, "post": post}


def _ou_stimulus(config: ConsolidationConfig, stim: Stimulus, name: str, target: str,
                 neurons: tuple[int, ...] | None, runtime_ms: float) -> list[dict[str, Any]]:
    """OU current(s) in pA of a pulse stimulus (mean and SD in nA as the reference computes them)."""
    h0_over_r = plastic_parameters(config)["h_0_mV"] / config.r_leak_MOhm  # nA per input
    if stim.scheme == "FULL" and (stim.i_0_nA or stim.sigma_wn_nA_sqrt_s):
        mean_nA = stim.i_0_nA
        sd_nA = stim.sigma_wn_nA_sqrt_s * np.sqrt(1000.0 / (2.0 * config.tau_syn_ms))
    else:
        mean_nA = stim.n_stim * stim.freq_hz * h0_over_r
        sd_nA = np.sqrt(1000.0 * stim.n_stim * stim.freq_hz / (2.0 * config.tau_syn_ms)) * h0_over_r
    intervals = [(a, None if b >= runtime_ms else b) for a, b in stim.pulses_ms(runtime_ms) if a < runtime_ms]
    if not intervals or (neurons is not None and not neurons):
        return []
    return [{"name": name, "target": target, "mean_pA": 1000.0 * mean_nA, "sd_pA": 1000.0 * float(sd_nA),
             "tau_ms": config.tau_syn_ms, "neurons": neurons, "intervals_ms": intervals}]


def _forced_spikes(config: ConsolidationConfig, stim: Stimulus, label: str) -> list[dict[str, Any]]:
    """One-step currents that force each receiver to spike at each time (EXPLICIT)."""
    r = config.resolved()
    tau_m = config.r_leak_MOhm * config.c_mem_pF * 1e-3
    amplitude = (FORCED_SPIKE_FACTOR * (config.v_th_mV - config.v_reset_mV) * config.c_mem_pF / tau_m
                 * np.exp(config.dt_ms / tau_m))
    out = []
    for k, t in enumerate(stim.stim_times_ms):
        start = round(t / config.dt_ms) * config.dt_ms
        for pop, idx in (("E", [i for i in stim.receivers if i < r["n_exc"]]),
                         ("I", [i - r["n_exc"] for i in stim.receivers if i >= r["n_exc"]])):
            if idx:
                out.append({"name": f"{label}-{pop}-{k}", "target": pop, "amplitude_pA": float(amplitude),
                            "start_ms": start, "stop_ms": start + config.dt_ms, "neurons": tuple(idx)})
    return out


def consolidation_spec(config: ConsolidationConfig, sample_synapses: tuple[tuple[int, int], ...] | None = None
                       ) -> NetworkSpec:
    """The network of ``config`` with its inputs and what is recorded.

    ``sample_synapses`` overrides the configuration's (for a random network whose sampled
    synapses are chosen from the drawn wiring, :func:`choose_sample_synapses`).
    """
    r = config.resolved()
    runtime_ms = 1000.0 * r["runtime_s"]
    n_exc, n_inh, n_ca = r["n_exc"], r["n_inh"], r["n_ca"]
    h0 = plastic_parameters(config)["h_0_mV"]
    pA_per_mV = 1000.0 / config.r_leak_MOhm
    receptor = [{"name": "syn", "tau_ms": config.tau_syn_ms}]
    pops = [{"name": "E", "n_neurons": n_exc, "model": "lif_psc_exp", "params": _neuron_params(config), "receptors": receptor}]
    if n_inh:
        pops.append({"name": "I", "n_neurons": n_inh, "model": "lif_psc_exp", "params": _neuron_params(config),
                     "receptors": receptor})
    delay = {"kind": "constant", "value": config.t_ax_delay_ms}
    projections = [{"source": "E", "target": "E", "receptor": "syn", "rule": _pairs(config, "E", "E"),
                    "weight": h0 * pA_per_mV, "delay_ms": delay,
                    "plasticity": {"rule": "calcium_stc", "params": plastic_parameters(config)}}]
    if n_inh:
        for src, tgt, w in (("E", "I", config.w_ei), ("I", "E", -config.w_ie), ("I", "I", -config.w_ii)):
            rule = _pairs(config, src, tgt)
            if rule["rule"] == "explicit" and not rule["pre"]:
                continue
            projections.append({"source": src, "target": tgt, "receptor": "syn", "rule": rule,
                                "weight": w * h0 * pA_per_mV, "delay_ms": delay})
    ou, currents = [], []
    bg = r["background"]
    if bg is not None:
        for pop in [p["name"] for p in pops]:
            ou += _ou_stimulus(config, bg, f"background-{pop}", pop, None, runtime_ms)
    for label, stim, neurons in (("learn", r["learn"], tuple(range(n_ca))),
                                 ("recall", r["recall"], tuple(range(int(np.floor(r["p_r"] * n_ca)))))):
        if stim is None:
            continue
        if stim.scheme == "EXPLICIT":
            currents += _forced_spikes(config, stim, label)
        else:
            ou += _ou_stimulus(config, stim, label, "E", neurons, runtime_ms)
    synapses = r["sample_synapses"] if sample_synapses is None else sample_synapses
    exc = tuple(i for i in r["sample_neurons"] if i < n_exc)
    inh = tuple(i - n_exc for i in r["sample_neurons"] if i >= n_exc)
    state = [{"population": pop, "variable": var, "neurons": idx} for pop, idx in (("E", exc), ("I", inh)) if idx
             for var in ("v_mV", "i_syn_pA")]
    plastic_probes = []
    if synapses:
        plastic_probes += [{"variable": v, "synapses": synapses} for v in ("h_mV", "z", "ca")]
    if exc:
        plastic_probes.append({"variable": "protein_umol", "neurons": exc})
    record = {"spikes": [p["name"] for p in pops], "state": state, "state_every_ms": r["sample_every_ms"],
              "rate_bin_ms": None, "plasticity": plastic_probes}
    spec = {"dt_ms": config.dt_ms, "seed": config.seed, "populations": pops, "projections": projections,
            "ou_currents": ou, "currents": currents, "record": record}
    return NetworkSpec.model_validate(spec)


def choose_sample_synapses(pre: np.ndarray, post: np.ndarray, n_ca: int, n_exc: int) -> tuple[tuple[int, int], ...]:
    """Four sampled synapses of a random network, from its wiring (lowest indices first):
    within the assembly, assembly -> control, control -> assembly, control -> control (those
    that exist)."""
    order = np.lexsort((pre, post))
    pre, post = pre[order], post[order]
    in_ca_pre, in_ca_post = pre < n_ca, post < n_ca
    chosen = []
    for mask in (in_ca_pre & in_ca_post, in_ca_pre & ~in_ca_post, ~in_ca_pre & in_ca_post, ~in_ca_pre & ~in_ca_post):
        hit = np.flatnonzero(mask)
        if hit.size:
            chosen.append((int(pre[hit[0]]), int(post[hit[0]])))
    return tuple(chosen)


# --------------------------------------------------------------------------- the schedule


@dataclass(frozen=True)
class Phase:
    """One phase: ``detailed`` (every step of dt, all dynamics) or ``consolidation`` (long
    steps of dt_ff, only the slow variables), from ``start_ms`` to ``stop_ms``."""

    kind: Literal["detailed", "consolidation"]
    start_ms: float
    stop_ms: float
    label: str

    @property
    def duration_ms(self) -> float:
        return self.stop_ms - self.start_ms


def schedule(config: ConsolidationConfig) -> list[Phase]:
    """The phases of a run: detailed around each stimulus (``rich_comp_window_s`` before and
    after), consolidation in between or after (Luboeinski & Tetzlaff 2021, the reference's
    eight cases)."""
    r = config.resolved()
    runtime = 1000.0 * r["runtime_s"]
    window = 1000.0 * config.rich_comp_window_s
    dt = config.dt_ms
    learn, recall = r["learn"], r["recall"]
    if learn is not None:
        l0, l1 = learn.span_ms(runtime, dt)
        learn_stop = min(l1 + window, runtime)
    if recall is not None:
        r0, r1 = recall.span_ms(runtime, dt)
        recall_start, recall_stop = max(r0 - window, 0.0), min(r1 + window, runtime)
    if learn is not None and recall is not None:
        if learn_stop < recall_start:
            return [Phase("detailed", 0.0, learn_stop, "learn"),
                    Phase("consolidation", learn_stop, recall_start, "consolidate"),
                    Phase("detailed", recall_start, recall_stop, "recall")]
        return [Phase("detailed", 0.0, runtime, "learn+recall")]
    if learn is not None:
        if learn_stop < runtime:
            return [Phase("detailed", 0.0, learn_stop, "learn"), Phase("consolidation", learn_stop, runtime, "consolidate")]
        return [Phase("detailed", 0.0, runtime, "learn")]
    if recall is not None:
        if recall_start > 0.0:
            return [Phase("consolidation", 0.0, recall_start, "consolidate"),
                    Phase("detailed", recall_start, recall_stop, "recall")]
        return [Phase("detailed", 0.0, recall_stop, "recall")]
    if runtime >= 5.0 * window:
        return [Phase("consolidation", 0.0, runtime, "consolidate")]
    return [Phase("detailed", 0.0, runtime, "background")]


def check_schedule(config: ConsolidationConfig) -> None:
    """ConfigError when a consolidation phase would cut a stimulus (a stimulus inside it)."""
    r = config.resolved()
    for ph in schedule(config):
        if ph.kind != "consolidation":
            continue
        for name in ("learn", "recall"):
            stim = r[name]
            if stim is None:
                continue
            a, b = stim.span_ms(1000.0 * r["runtime_s"], config.dt_ms)
            if a < ph.stop_ms and b > ph.start_ms:
                raise ConfigError(f"{name}.time_start_s", stim.time_start_s,
                                  "the stimulus falls into a consolidation phase")
