"""Parameters of the ``consolidation`` study: memory consolidation by synaptic tagging and
capture in a network of LIF neurons with calcium-based plasticity (Luboeinski & Tetzlaff 2021).

A configuration names a protocol (:data:`PROTOCOLS`); every field left at None takes the
protocol's value, every field given overrides it. Units are in the names (ms, s, mV, pF, MOhm,
nA, Hz). The nested fields (stimuli, plasticity parameters, sampled synapses) are set from a
TOML/JSON file (``--config``); a configuration file of the Arbor reference implementation
(keys ``simulation``, ``populations``, ``neuron``, ``synapses``) is read too, each of its keys
mapped to the field it sets.

Execution choices (workers, scheduler, progress) are not part of a config: they never change
a number.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field, model_validator

from netdyn.config.base import Spec
from netdyn.config.simulator import Connectivity, connectivity_field
from netdyn.errors import ConfigError

Scheme = Literal["TRIPLET", "ONEPULSE", "RECT", "FULL", "EXPLICIT"]
ProtocolName = Literal["basic-early", "basic-late", "smallnet3-10s", "smallnet3-8h", "net-10s", "net-8h"]
NetworkName = Literal["smallnet2", "smallnet3", "random"]


class Stimulus(Spec):
    """A stimulation protocol (the reference's schemes).

    ``TRIPLET``: three 100-ms pulses at ``time_start_s`` + 0, 0.5 and 1.0 s; ``ONEPULSE``: one
    100-ms pulse; ``RECT``: one pulse of ``duration_s``; ``FULL``: from ``time_start_s`` to the
    end; ``EXPLICIT``: one forced spike of each of ``receivers`` at each of ``stim_times_ms``.
    During a pulse each stimulated neuron gets an Ornstein-Uhlenbeck current standing for
    ``n_stim`` Poisson inputs at ``freq_hz`` through synapses of weight h_0 (mean
    ``n_stim freq h_0 / R``, SD ``sqrt(n_stim freq / (2 tau_syn)) h_0 / R``); a background
    (``FULL`` with ``i_0_nA``) has mean ``i_0_nA`` and SD ``sigma_wn_nA_sqrt_s / sqrt(2 tau_syn)``.
    """

    scheme: Scheme
    time_start_s: float = Field(0.0, ge=0.0, description="start of the stimulation (s)")
    duration_s: float | None = Field(None, gt=0.0, description="length of a RECT pulse (s)")
    n_stim: int = Field(25, ge=0, description="number of stimulating Poisson inputs")
    freq_hz: float = Field(100.0, ge=0.0, description="rate of each stimulating input (Hz)")
    i_0_nA: float = Field(0.0, description="mean of a background current (nA)")
    sigma_wn_nA_sqrt_s: float = Field(0.0, ge=0.0, description="white-noise amplitude of a background (nA s^1/2)")
    stim_times_ms: tuple[float, ...] = Field((), description="EXPLICIT: times of the forced spikes (ms)")
    receivers: tuple[int, ...] = Field((), description="EXPLICIT: neurons that are forced to spike")

    @model_validator(mode="after")
    def _check(self) -> "Stimulus":
        if self.scheme == "RECT" and self.duration_s is None:
            raise ConfigError("duration_s", None, "a RECT stimulus needs its duration")
        if self.scheme == "EXPLICIT" and not (self.stim_times_ms and self.receivers):
            raise ConfigError("stim_times_ms", self.stim_times_ms, "an EXPLICIT stimulus needs times and receivers")
        if any(not (t >= 0 and math.isfinite(t)) for t in self.stim_times_ms):
            raise ConfigError("stim_times_ms", self.stim_times_ms, "times must be finite and >= 0 ms")
        if any(r < 0 for r in self.receivers):
            raise ConfigError("receivers", self.receivers, "neuron indices must be >= 0")
        return self

    def pulses_ms(self, runtime_ms: float) -> list[tuple[float, float]]:
        """The on-intervals ``[start, stop)`` in ms (EXPLICIT: none, its spikes are forced)."""
        t0 = 1000.0 * self.time_start_s
        if self.scheme == "TRIPLET":
            return [(t0, t0 + 100.0), (t0 + 500.0, t0 + 600.0), (t0 + 1000.0, t0 + 1100.0)]
        if self.scheme == "ONEPULSE":
            return [(t0, t0 + 100.0)]
        if self.scheme == "RECT":
            return [(t0, t0 + 1000.0 * float(self.duration_s))]
        if self.scheme == "FULL":
            return [(t0, runtime_ms)]
        return []

    def span_ms(self, runtime_ms: float, dt_ms: float) -> tuple[float, float]:
        """Start and end of the stimulation as the schedule counts them (the end one step after
        the last pulse ends, as the reference does)."""
        t0 = 1000.0 * self.time_start_s
        if self.scheme == "EXPLICIT":
            return min(self.stim_times_ms), max(self.stim_times_ms) + dt_ms
        if self.scheme == "FULL":
            return t0, runtime_ms
        return t0, self.pulses_ms(runtime_ms)[-1][1] + dt_ms


_PLASTIC_DEFAULTS = {"ca_pre": 0.6, "ca_post": 0.1655}
_BASIC_CALCIUM = {"ca_pre": 1.0, "ca_post": 0.2758}
_NO_NOISE = {"sigma_pl_mV": 0.0}
_TRIPLET = {"scheme": "TRIPLET", "time_start_s": 10.0, "n_stim": 25, "freq_hz": 100.0}
_ONEPULSE = {"scheme": "ONEPULSE", "n_stim": 25, "freq_hz": 100.0}
_BACKGROUND = {"scheme": "FULL", "time_start_s": 0.0, "i_0_nA": 0.15, "sigma_wn_nA_sqrt_s": 0.05}
_SMALLNET3_SAMPLES = {"sample_neurons": (0, 1, 2, 3, 4), "sample_synapses": ((0, 1), (0, 2), (3, 2), (0, 3), (2, 3))}
_NET = {"network": "random", "n_exc": 1600, "n_inh": 400, "n_ca": 150, "p_c": 0.1, "p_r": 0.5,
        "learn": _TRIPLET, "background": _BACKGROUND, "sample_every_ms": 2.0}

#: Values of each protocol (fields of :class:`ConsolidationConfig` left at None take these).
PROTOCOLS: dict[str, dict[str, Any]] = {
    "basic-early": {"network": "smallnet2", "n_exc": 4, "n_inh": 0, "n_ca": 0, "p_r": 0.5, "runtime_s": 0.2,
                    "learn": {"scheme": "EXPLICIT", "stim_times_ms": (10, 20, 30, 40, 50, 60, 100), "receivers": (0,)},
                    "plasticity": _BASIC_CALCIUM, "sample_neurons": (0, 1), "sample_synapses": ((0, 1),),
                    "sample_every_ms": 0.2},
    "basic-late": {"network": "smallnet2", "n_exc": 4, "n_inh": 0, "n_ca": 1, "p_r": 0.5, "runtime_s": 28820.0,
                   "learn": {"scheme": "RECT", "time_start_s": 0.0, "duration_s": 14400.0, "n_stim": 5000, "freq_hz": 1.0},
                   "plasticity": _BASIC_CALCIUM, "sample_neurons": (0, 1), "sample_synapses": ((0, 1),),
                   "sample_every_ms": 20.0},
    "smallnet3-10s": {"network": "smallnet3", "n_exc": 4, "n_inh": 1, "n_ca": 1, "p_r": 1.0, "runtime_s": 25.0,
                      "learn": _TRIPLET, "recall": {**_ONEPULSE, "time_start_s": 20.0}, "plasticity": _NO_NOISE,
                      "sample_every_ms": 0.2, **_SMALLNET3_SAMPLES},
    "smallnet3-8h": {"network": "smallnet3", "n_exc": 4, "n_inh": 1, "n_ca": 1, "p_r": 1.0, "runtime_s": 28820.0,
                     "learn": _TRIPLET, "recall": {**_ONEPULSE, "time_start_s": 28810.0}, "plasticity": _NO_NOISE,
                     "sample_every_ms": 0.2, **_SMALLNET3_SAMPLES},
    "net-10s": {**_NET, "runtime_s": 25.0, "recall": {**_ONEPULSE, "time_start_s": 20.0}},
    "net-8h": {**_NET, "runtime_s": 28820.0, "recall": {**_ONEPULSE, "time_start_s": 28810.0}},
}


class ConsolidationConfig(Spec):
    """One trial of a consolidation protocol (fields left at None: the protocol's values)."""

    protocol: ProtocolName = Field("net-10s", description="the protocol")
    seed: int = Field(0, ge=0, description="seed of the wiring, the inputs and the plasticity noise")
    threads: int = Field(1, ge=1, description="threads of the simulation (the same numbers for any number)")
    connectivity: Connectivity = connectivity_field()
    deterministic: bool = Field(False, description="no plasticity noise (sigma_pl = 0; the smallnet3 "
                                "protocols have none already)")
    runtime_s: float | None = Field(None, gt=0.0, description="simulated time (s); none: the protocol's")
    dt_ms: float = Field(0.2, gt=0.0, description="time step of the detailed phases (ms)")
    dt_ff_ms: float = Field(50000.0, gt=0.0, description="time step of the consolidation phases (ms)")
    rich_comp_window_s: float = Field(5.0, ge=0.0, description="detailed time kept before and after each "
                                      "stimulus; the rest is a consolidation phase (s)")
    network: NetworkName | None = Field(None, description="smallnet2 / smallnet3 (fixed wiring) or random; none: the protocol's")
    n_exc: int | None = Field(None, ge=1, description="excitatory neurons; none: the protocol's")
    n_inh: int | None = Field(None, ge=0, description="inhibitory neurons; none: the protocol's")
    n_ca: int | None = Field(None, ge=0, description="cell assembly: the first n_ca excitatory neurons get the learning stimulus; none: the protocol's")
    p_c: float | None = Field(None, gt=0.0, le=1.0, description="connection probability of every ordered pair (random network); none: the protocol's")
    p_r: float | None = Field(None, ge=0.0, le=1.0, description="fraction of the assembly that gets the recall stimulus; none: the protocol's")
    w_ei: float = Field(2.0, description="E->I weight in units of h_0")
    w_ie: float = Field(4.0, description="I->E weight in units of h_0 (inhibitory)")
    w_ii: float = Field(4.0, description="I->I weight in units of h_0 (inhibitory)")
    c_mem_pF: float = Field(1000.0, gt=0.0, description="membrane capacitance (pF)")
    r_leak_MOhm: float = Field(10.0, gt=0.0, description="membrane resistance (MOhm)")
    v_rev_mV: float = Field(-65.0, description="resting (and initial) potential (mV)")
    v_reset_mV: float = Field(-70.0, description="reset potential (mV)")
    v_th_mV: float = Field(-55.0, description="threshold (mV)")
    t_ref_ms: float = Field(2.0, ge=0.0, description="refractory period (ms)")
    tau_syn_ms: float = Field(5.0, gt=0.0, description="synaptic (and OU input) time constant (ms)")
    t_ax_delay_ms: float = Field(3.0, gt=0.0, description="axonal delay of every synapse (ms)")
    learn: Stimulus | None = Field(None, description="learning stimulus (to the assembly)")
    recall: Stimulus | None = Field(None, description="recall stimulus (to the first p_r n_ca neurons)")
    background: Stimulus | None = Field(None, description="background current to every neuron (FULL)")
    without: tuple[Literal["learn", "recall", "background"], ...] = Field(
        (), description="inputs of the protocol to leave out (learn, recall, background)")
    plasticity: dict[str, float] = Field(default_factory=dict, description="parameters of the calcium_stc "
                                         "rule that differ from the protocol's")
    sample_neurons: tuple[int, ...] | None = Field(None, description="neurons whose V and protein are recorded; none: the protocol's")
    sample_synapses: tuple[tuple[int, int], ...] | None = Field(
        None, description="(pre, post) synapses whose h, z and Ca are recorded (random network: chosen "
        "from the drawn wiring when not given)")
    sample_every_ms: float | None = Field(None, gt=0.0, description="sampling interval of the traces (ms); none: the protocol's")
    weights_at_s: tuple[float, ...] = Field((), description="times at which every plastic weight is stored, besides "
                                            "after learning and at the end (s; in a consolidation phase: the start "
                                            "of its long step)")

    @model_validator(mode="before")
    @classmethod
    def _reference_layout(cls, data: Any) -> Any:
        if isinstance(data, dict) and "simulation" in data and "populations" in data:
            ours = {k: v for k, v in data.items() if k in cls.model_fields}
            return {**from_reference_config({k: v for k, v in data.items() if k not in ours}), **ours}
        return data

    @model_validator(mode="after")
    def _check(self) -> "ConsolidationConfig":
        r = self.resolved()
        if r["n_ca"] > r["n_exc"]:
            raise ConfigError("n_ca", r["n_ca"], f"must be <= n_exc = {r['n_exc']}")
        if self.v_reset_mV >= self.v_th_mV:
            raise ConfigError("v_reset_mV", self.v_reset_mV, f"must lie below v_th_mV = {self.v_th_mV}")
        if r["network"] != "random" and (r["n_exc"], r["n_inh"]) != _FIXED_SIZES[r["network"]]:
            raise ConfigError("n_exc", (r["n_exc"], r["n_inh"]),
                              f"{r['network']} has {_FIXED_SIZES[r['network']]} excitatory and inhibitory neurons")
        if r["network"] == "random" and r["p_c"] is None:
            raise ConfigError("p_c", None, "a random network needs its connection probability")
        n = r["n_exc"] + r["n_inh"]
        for name in ("learn", "recall"):
            stim = r[name]
            if stim is not None and stim.scheme == "EXPLICIT" and any(i >= n for i in stim.receivers):
                raise ConfigError(f"{name}.receivers", stim.receivers, f"neurons lie in [0, {n})")
            if stim is not None and 1000.0 * stim.time_start_s >= 1000.0 * r["runtime_s"]:
                raise ConfigError(f"{name}.time_start_s", stim.time_start_s, f"must lie before the end, {r['runtime_s']} s")
        if any(not 0 <= i < n for i in r["sample_neurons"]):
            raise ConfigError("sample_neurons", r["sample_neurons"], f"neurons lie in [0, {n})")
        if any(not (0 <= a < r["n_exc"] and 0 <= b < r["n_exc"]) for a, b in r["sample_synapses"] or ()):
            raise ConfigError("sample_synapses", r["sample_synapses"],
                              f"plastic synapses join excitatory neurons, in [0, {r['n_exc']})")
        for t in self.weights_at_s:
            if not 0.0 <= t < r["runtime_s"]:
                raise ConfigError("weights_at_s", t, f"times lie in [0, runtime_s = {r['runtime_s']})")
        if r["sample_every_ms"] < self.dt_ms:
            raise ConfigError("sample_every_ms", r["sample_every_ms"], f"must be >= dt_ms = {self.dt_ms}")
        return self  # the plasticity parameters are the rule's to check (the study's check)

    def resolved(self) -> dict[str, Any]:
        """Every protocol-dependent value: the field if given, else the protocol's."""
        preset = PROTOCOLS[self.protocol]
        out: dict[str, Any] = {}
        for name in ("network", "n_exc", "n_inh", "n_ca", "p_c", "p_r", "runtime_s", "sample_neurons",
                     "sample_synapses", "sample_every_ms"):
            value = getattr(self, name)
            out[name] = preset.get(name) if value is None else value
        out["deterministic"] = self.deterministic
        for name in ("learn", "recall", "background"):
            value = getattr(self, name)
            if name in self.without:
                out[name] = None
            elif value is not None:
                out[name] = value
            else:
                out[name] = Stimulus(**preset[name]) if name in preset else None
        plastic = {**_PLASTIC_DEFAULTS, **preset.get("plasticity", {}), **self.plasticity}
        if out["deterministic"]:
            plastic["sigma_pl_mV"] = 0.0
        out["plasticity"] = plastic
        if out["sample_synapses"] is not None:
            out["sample_synapses"] = tuple(tuple(int(x) for x in p) for p in out["sample_synapses"])
        out["sample_neurons"] = tuple(out["sample_neurons"] or ())
        return out


_FIXED_SIZES = {"smallnet2": (4, 0), "smallnet3": (4, 1)}


class ConsolidationTrialsConfig(ConsolidationConfig):
    """Several trials of a protocol, each a work unit (seeds ``seed``, ``seed + 1``, ...)."""

    trials: int = Field(1, ge=1, description="number of trials (each with its own seed)")


class ConsolidationBenchConfig(Spec):
    """One trial of a consolidation protocol, timed (``netdyn bench consolidation``)."""

    protocol: ProtocolName = Field("net-10s", description="the protocol")
    n_ca: int | None = Field(None, ge=0, description="assembly size; none: the protocol's")
    seed: int = Field(0, ge=0, description="seed of the wiring, the inputs and the plasticity noise")
    threads: int = Field(1, ge=1, description="threads of the simulation")
    connectivity: Connectivity = connectivity_field()
    deterministic: bool = Field(False, description="no plasticity noise")

    def trial_config(self) -> ConsolidationConfig:
        return ConsolidationConfig(protocol=self.protocol, n_ca=self.n_ca, seed=self.seed, threads=self.threads,
                                   connectivity=self.connectivity, deterministic=self.deterministic)


class ConsolidationScreenConfig(Spec):
    """The assembly-size screen: trials x assembly sizes x {10 s, 8 h} recall of the 2,000-neuron
    network, each trial a resumable work unit (the main figure of Luboeinski & Tetzlaff 2021)."""

    n_ca_values: tuple[int, ...] = Field((100, 150, 200, 250), min_length=1, description="assembly sizes")
    protocols: tuple[Literal["net-10s", "net-8h"], ...] = Field(("net-10s", "net-8h"), min_length=1,
                                                                description="recall protocols")
    trials: int = Field(20, ge=1, description="trials per size and protocol")
    seed: int = Field(0, ge=0, description="first seed; trial k of every cell uses seed + k")
    threads: int = Field(1, ge=1, description="threads of each trial's simulation (trials run in parallel "
                                              "over --workers)")
    connectivity: Connectivity = connectivity_field()
    deterministic: bool = Field(False, description="no plasticity noise")
    n_exc: int = Field(1600, ge=1, description="excitatory neurons")
    n_inh: int = Field(400, ge=0, description="inhibitory neurons")

    @model_validator(mode="after")
    def _check(self) -> "ConsolidationScreenConfig":
        for n_ca in self.n_ca_values:
            if not 0 < n_ca <= self.n_exc:
                raise ConfigError("n_ca_values", n_ca, f"assembly sizes lie in [1, n_exc = {self.n_exc}]")
        if len(set(self.n_ca_values)) != len(self.n_ca_values):
            raise ConfigError("n_ca_values", self.n_ca_values, "must be distinct")
        if len(set(self.protocols)) != len(self.protocols):
            raise ConfigError("protocols", self.protocols, "must be distinct")
        return self

    def trial_config(self, protocol: str, n_ca: int, trial: int) -> ConsolidationConfig:
        """The configuration of one trial."""
        return ConsolidationConfig(protocol=protocol, n_ca=n_ca, seed=self.seed + trial, threads=self.threads,
                                   connectivity=self.connectivity, deterministic=self.deterministic,
                                   n_exc=self.n_exc, n_inh=self.n_inh)


# --------------------------------------------------------------------------- the reference's files

_REF_SIMULATION = {"runtime": "runtime_s", "dt": "dt_ms", "dt_ff": "dt_ff_ms", "output_period": None,
                   "description": None, "short_description": None, "reduced_data": None, "sample_curr": None,
                   "learn_protocol": "learn", "recall_protocol": "recall", "bg_protocol": "background",
                   "sample_gid_list": None, "sample_pre_list": None}
_REF_POPULATIONS = {"N_exc": "n_exc", "N_inh": "n_inh", "N_CA": "n_ca", "w_ei": "w_ei", "w_ie": "w_ie",
                    "w_ii": "w_ii", "p_c": "p_c", "p_r": "p_r", "conn_file": None}
_REF_NEURON = {"mechanism": None, "V_init": "v_rev_mV", "V_rev": "v_rev_mV", "V_reset": "v_reset_mV",
               "V_th": "v_th_mV", "R_leak": "r_leak_MOhm", "R_reset": None, "C_mem": "c_mem_pF", "t_ref": "t_ref_ms",
               "radius": None}
_REF_PLASTICITY = {"h_0": "h_0_mV", "t_Ca_delay": "t_ca_delay_ms", "Ca_pre": "ca_pre", "Ca_post": "ca_post",
                   "sigma_pl": "sigma_pl_mV", "theta_p": "theta_p", "theta_d": "theta_d", "theta_pro": "theta_pro_mV",
                   "theta_tag": "theta_tag_mV", "p_max": "p_max_umol", "tau_h": "tau_h_ms", "tau_z": "tau_z_ms",
                   "tau_Ca": "tau_ca_ms", "tau_p": "tau_p_ms"}
_REF_PROTOCOL = {"time_start": "time_start_s", "scheme": "scheme", "freq": "freq_hz", "N_stim": "n_stim",
                 "duration": "duration_s", "I_0": "i_0_nA", "sigma_WN": "sigma_wn_nA_sqrt_s"}
_CONN_FILES = {"connections_smallnet2.txt": "smallnet2", "connections_smallnet3.txt": "smallnet3"}


def _known(section: str, data: dict[str, Any], table: dict[str, Any]) -> None:
    for key in data:
        if key not in table:
            raise ConfigError(f"{section}.{key}", data[key], f"not a key of the reference's configuration; "
                              f"known: {sorted(table)}")


def _stimulus(section: str, data: dict[str, Any]) -> dict[str, Any] | None:
    if not data:
        return None
    explicit = data.get("explicit_input") or {}
    _known(section, {k: v for k, v in data.items() if k != "explicit_input"}, _REF_PROTOCOL)
    out = {_REF_PROTOCOL[k]: v for k, v in data.items() if k != "explicit_input" and v is not None}
    if out.get("scheme") == "EXPLICIT":
        out["stim_times_ms"] = tuple(explicit.get("stim_times", ()))
        out["receivers"] = tuple(explicit.get("receivers", ()))
    return out


def from_reference_config(data: dict[str, Any]) -> dict[str, Any]:
    """A configuration file of the Arbor reference implementation as this study's fields.

    Every key is mapped (its protocol comes from its size and wiring file; its sampled
    neurons and synapses from ``sample_gid_list``/``sample_pre_list``); keys that do not
    change a number here (descriptions, output period, the Arbor cell radius) are accepted and
    ignored; an unknown key is a :class:`~netdyn.errors.ConfigError` naming it.
    """
    out: dict[str, Any] = {}
    sim, pops = dict(data.get("simulation", {})), dict(data.get("populations", {}))
    neuron, syn = dict(data.get("neuron", {})), dict(data.get("synapses", {}))
    for section, block in (("simulation", sim), ("populations", pops), ("neuron", neuron)):
        _known(section, block, {"simulation": _REF_SIMULATION, "populations": _REF_POPULATIONS, "neuron": _REF_NEURON}[section])
    extra = set(data) - {"simulation", "populations", "neuron", "synapses", "arbor"}
    if extra:
        raise ConfigError(sorted(extra)[0], None, "not a section of the reference's configuration")
    network = _CONN_FILES.get(pops.get("conn_file") or "", "random")
    if pops.get("conn_file") and pops["conn_file"] not in _CONN_FILES:
        raise ConfigError("populations.conn_file", pops["conn_file"], f"known wiring files: {sorted(_CONN_FILES)}")
    out["protocol"] = {"smallnet2": "basic-early", "smallnet3": "smallnet3-10s"}.get(network, "net-10s")
    out["network"] = network
    for key, value in pops.items():
        name = _REF_POPULATIONS[key]
        if name is not None and not (key == "p_c" and value is not None and value < 0):
            out[name] = value
    for key, value in neuron.items():
        name = _REF_NEURON[key]
        if name == "c_mem_pF":
            value = round(float(value) * 1e12, 9)  # F -> pF
        if name is not None:
            out[name] = value
    for key in ("runtime", "dt", "dt_ff"):
        if key in sim:
            out[_REF_SIMULATION[key]] = sim[key]
    without = []
    for key, name in (("learn_protocol", "learn"), ("recall_protocol", "recall"), ("bg_protocol", "background")):
        stim = _stimulus(f"simulation.{key}", dict(sim.get(key) or {}))
        if stim is None:
            without.append(name)
        else:
            out[name] = stim
    out["without"] = tuple(without)
    gids, pres = sim.get("sample_gid_list", []), sim.get("sample_pre_list", [])
    if len(gids) != len(pres):
        raise ConfigError("simulation.sample_pre_list", pres, "must be as long as sample_gid_list")
    out["sample_neurons"] = tuple(sorted({int(g) for g in gids}))
    out["sample_synapses"] = tuple((int(p), int(g)) for g, p in zip(gids, pres) if p >= 0)
    _known("synapses", syn, {"tau_syn": 0, "t_ax_delay": 0, "syn_exc_calcium_plasticity": 0})
    if "tau_syn" in syn:
        out["tau_syn_ms"] = syn["tau_syn"]
    if "t_ax_delay" in syn:
        out["t_ax_delay_ms"] = syn["t_ax_delay"]
    plastic = dict(syn.get("syn_exc_calcium_plasticity") or {})
    _known("synapses.syn_exc_calcium_plasticity", plastic, _REF_PLASTICITY)
    out["plasticity"] = {_REF_PLASTICITY[k]: float(v) for k, v in plastic.items()}
    if plastic.get("sigma_pl") == 0:
        out["deterministic"] = True
    return out
