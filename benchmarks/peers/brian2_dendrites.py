"""Brian2 peer of netdyn's cable engine: the cases of ``dendrites_cases.py`` in Brian2's
``SpatialNeuron``.

Runs under the Brian2 interpreter (numpy and brian2 only; netdyn is not installed there), one
thread. Reads case JSON files (``dendrites_cases.py --out``), builds each cell and its
synapses, runs it with the Cython runtime device or ``cpp_standalone`` (built in a temporary
folder), and prints one JSON line (``--out FILE`` writes it there too).

Model (the equations of the library this study grows from, Brian2 units)::

    Im = gL (EL - v)                                              (membrane current per area)
    Is = gA (EA - v) + gN (EN - v) + gI (Ei - v)                  (point current, one per compartment)
    per synapse, each receptor X:  dgRiseX/dt = -gRiseX / tauRiseX,  dgDecayX/dt = -gDecayX / tauDecayX
                                   gX = qX normX (gDecayX - gRiseX);  a spike: gRiseX += w, gDecayX += w
    gA = gAMPA,  gN = gNMDA / (1 + etaMg cMg exp(-v / V0)),  gI = gGABA   (summed over a compartment's synapses)

``normX = 1 / (exp(-tp/tauDecay) - exp(-tp/tauRise))`` at the peak time ``tp = tauRise
tauDecay / (tauDecay - tauRise) ln(tauDecay / tauRise)``, so ``qX w`` is the peak conductance
of one event (netdyn's ``DoubleExponential``); EA, EN and Ei are the receptors' reversal
potentials. Integration: ``method='exponential_euler'``
(the seed library's choice) for the synaptic variables; the cable itself is Brian2's own
implicit (backward Euler) solver of ``SpatialNeuron`` with the membrane current linearised
in v each step -- the same scheme as Arbor's.

Discretisation, against netdyn/Arbor:

* compartments: a branch of n compartments is cut into n equal parts; V lives at each
  compartment's centre (Brian2), the soma is Brian2's ``Soma`` (one isopotential compartment of
  the sphere's area, no axial resistance to its children), where netdyn holds a cylinder of
  length 2r, radius r (same area; the half-cylinder's axial resistance, ~60 kOhm for r = 5 um,
  is negligible against the tree's input resistance).
* synapses: a synapse's current goes into the compartment that contains its site (the case's
  ``compartment``); the cases put sites in compartment middles.
* spike timing: an input spike at t is assigned to the step that contains it (t floored to the
  dt grid, as Arbor delivers an event at the start of the step that contains it). Objects run
  in the order synapse state update, summed conductances, cable update, spike delivery
  (``order`` -2, -1, 0 in the ``groups`` slot), so the cable step that starts k steps after
  the spike's step uses g(k dt), as Arbor's does.
* tapered branches (``kind: tapered``): a ``Section`` whose diameters at the compartment
  boundaries follow the branch's piecewise-linear profile.

Timings (``timing``): ``build_*`` = constructing the objects and code generation/compilation
(runtime: up to the end of ``run(0 ms)``, Cython modules are cached after a first run;
cpp_standalone: ``device.build(compile=True, run=False)``, the C++ compile in child
processes), ``run_*`` = ``net.run(duration)`` (runtime) or the compiled binary (cpp_standalone,
including its set-up and writing results). Wall from ``time.perf_counter``, CPU from
``resource.getrusage`` of this process plus its children (user + system).

Usage: ``python brian2_dendrites.py CASE.json [...] [--device runtime|cpp_standalone]
[--sample-every 4] [--out result.json]``
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import finite_or_none, peak_rss_mb  # noqa: E402


def cpu_s() -> float:
    """CPU seconds (user + system) of this process and its waited-for children."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def norm_factor(tau_rise: float, tau_decay: float) -> float:
    """1 / peak of exp(-t/tau_decay) - exp(-t/tau_rise)."""
    tp = tau_rise * tau_decay / (tau_decay - tau_rise) * math.log(tau_decay / tau_rise)
    return 1.0 / (math.exp(-tp / tau_decay) - math.exp(-tp / tau_rise))


def build_morphology(b2, branches: list[dict]):
    """Brian2 morphology of the case's branches; returns (root, sections by branch)."""
    um = b2.um
    sections = []
    for b, br in enumerate(branches):
        n = int(br["n_compartments"])
        if br["kind"] == "soma":
            if b != 0 or br["parent"] != -1:
                raise ValueError("the soma must be branch 0, the root")
            sec = b2.Soma(diameter=br["diameter_um"] * um)
        elif br["kind"] == "cylinder":
            sec = b2.Cylinder(n=n, diameter=br["diameter_um"] * um, length=br["length_um"] * um)
        elif br["kind"] == "tapered":
            import numpy as np

            seg_len = np.array([s["length_um"] for s in br["segments"]])
            knots = np.concatenate([[0.0], np.cumsum(seg_len)])
            # piecewise-linear diameter profile (a jump at a segment boundary: the mean)
            xs, ds = [], []
            for s, x0, x1 in zip(br["segments"], knots[:-1], knots[1:]):
                xs += [x0, x1]
                ds += [s["d_proximal_um"], s["d_distal_um"]]
            bounds = np.linspace(0.0, knots[-1], n + 1)
            diam = np.interp(bounds, xs, ds)
            sec = b2.Section(n=n, diameter=diam * um, length=np.diff(bounds) * um)
        else:
            raise ValueError(f"branch {b}: unknown kind {br['kind']!r}")
        if b > 0:
            sections[br["parent"]].children.add(f"b{b}", sec)
        sections.append(sec)
    return sections[0], sections


def build_network(b2, case: dict, kinds: set[str] | None = None) -> dict:
    """The case's Brian2 objects (not run): ``net``, ``neuron``, ``gen`` and ``synapses`` (None
    without inputs), ``monitor``, ``record_idx``, ``src_syn`` (the case synapse of each source).
    ``kinds``: the receptor kinds to model (default: those of the case's synapses)."""
    import numpy as np

    ms, mV, nS = b2.ms, b2.mV, b2.nS
    dt_ms = float(case["dt_ms"])
    b2.defaultclock.dt = dt_ms * ms
    bio = case["biophysics"]
    kin = bio["synapses"]
    syn = case["synapses"]
    if kinds is None:
        kinds = {r for s in syn for r in s["receptors"].split("+")}

    root, sections = build_morphology(b2, case["branches"])
    ns = {"gL": bio["g_leak_S_per_m2"] * b2.siemens / b2.meter ** 2, "EL": bio["e_leak_mV"] * mV,
          "EA": kin["ampa"]["e_rev_mV"] * mV, "EN": kin["nmda"]["e_rev_mV"] * mV, "Ei": kin["gaba"]["e_rev_mV"] * mV}
    eqs = "Im = gL*(EL - v) : amp/meter**2\n"
    currents = []
    for kind, g, e in (("ampa", "gA", "EA"), ("nmda", "gN", "EN"), ("gaba", "gI", "Ei")):
        if kind in kinds:
            eqs += f"{g} : siemens\n"
            currents.append(f"{g}*({e} - v)")
    eqs += f"Is = {' + '.join(currents) or '0*amp'} : amp (point current)\n"
    neuron = b2.SpatialNeuron(morphology=root, model=eqs, Cm=bio["cm_F_per_m2"] * b2.farad / b2.meter ** 2,
                              Ri=bio["ri_ohm_m"] * b2.ohm * b2.meter, method="exponential_euler", namespace=ns,
                              order=0, name="cell")
    neuron.v = bio["v_init_mV"] * mV

    def compartment(branch: int, k: int) -> int:
        return int(sections[branch].indices[:][k])

    # the spike generator: one source per (synapse, copy) so that two spikes of one synapse
    # in one step (a Poisson train) become two sources, each firing once in that step
    src_syn, src_times = [], []
    for i, s in enumerate(syn):
        steps = np.floor(np.asarray(s["spike_times_ms"], dtype=float) / dt_ms + 1e-9).astype(np.int64)
        copy = 0
        while steps.size:
            uniq, first = np.unique(steps, return_index=True)
            src_syn.append(i)
            src_times.append(uniq)
            steps = np.delete(steps, first)
            copy += 1
    n_src = len(src_syn)
    objects = [neuron]
    if n_src:
        idx = np.concatenate([np.full(t.size, g) for g, t in enumerate(src_times)])
        tms = np.concatenate(src_times) * dt_ms
        gen = b2.SpikeGeneratorGroup(n_src, idx, tms * ms, name="inputs")
        summed = []
        syn_eqs = "wA : 1 (constant)\nwN : 1 (constant)\nwG : 1 (constant)\n"
        on_pre = []
        for kind, key, w in (("ampa", "A", "wA"), ("nmda", "N", "wN"), ("gaba", "G", "wG")):
            if kind not in kinds:
                continue
            k = kin[kind]
            ns[f"tauR{key}"] = k["tau_rise_ms"] * ms
            ns[f"tauD{key}"] = k["tau_decay_ms"] * ms
            ns[f"q{key}"] = k["q_nS"] * nS
            ns[f"norm{key}"] = norm_factor(k["tau_rise_ms"], k["tau_decay_ms"])
            syn_eqs += (f"dgRise{key}/dt = -gRise{key}/tauR{key} : 1 (clock-driven)\n"
                        f"dgDecay{key}/dt = -gDecay{key}/tauD{key} : 1 (clock-driven)\n")
            on_pre.append(f"gRise{key} += {w}; gDecay{key} += {w}")
            term = f"q{key}*norm{key}*(gDecay{key} - gRise{key})"
            if kind == "nmda":
                ns["etaMg_cMg"] = k["eta_mg_per_mM"] * k["c_mg_mM"]
                ns["V0"] = k["v0_mV"] * mV
                term += "/(1 + etaMg_cMg*exp(-v_post/V0))"
            summed.append(f"g{key if key != 'G' else 'I'}_post = {term} : siemens (summed)\n")
        syn_eqs += "".join(summed)
        synapses = b2.Synapses(gen, neuron, model=syn_eqs, on_pre="; ".join(on_pre), method="exponential_euler",
                               namespace=ns, order=-2, name="synapses")
        synapses.connect(i=np.arange(n_src), j=np.array([compartment(syn[i]["branch"], syn[i]["compartment"])
                                                         for i in src_syn]))
        recs = [syn[i]["receptors"].split("+") for i in src_syn]
        weights = np.array([syn[i]["weight"] for i in src_syn])
        synapses.wA = weights * np.array(["ampa" in r for r in recs])
        synapses.wN = weights * np.array(["nmda" in r for r in recs])
        synapses.wG = weights * np.array(["gaba" in r for r in recs])
        for var in synapses.equations.diff_eq_names:
            setattr(synapses, var, 0.0)
        objects += [gen, synapses]
    record_idx = [compartment(b, min(int(x / case["branches"][b]["length_um"] * case["branches"][b]["n_compartments"]),
                                     case["branches"][b]["n_compartments"] - 1)) for b, x in case["record"]]
    monitor = b2.StateMonitor(neuron, "v", record=record_idx, name="vmon")
    objects.append(monitor)
    net = b2.Network(*objects)
    return {"net": net, "neuron": neuron, "gen": gen if n_src else None, "synapses": synapses if n_src else None,
            "monitor": monitor, "record_idx": record_idx, "src_syn": src_syn, "n_src": n_src}


def run_case(b2, case: dict, device: str, sample_every: int, build_dir: str | None) -> dict:
    ms = b2.ms
    t_wall0, t_cpu0 = time.perf_counter(), cpu_s()
    objs = build_network(b2, case)
    net = objs["net"]
    duration = case["duration_ms"] * ms

    if device == "runtime":
        net.run(0 * ms)
        build_wall, build_cpu = time.perf_counter() - t_wall0, cpu_s() - t_cpu0
        w0, c0 = time.perf_counter(), cpu_s()
        net.run(duration)
        run_wall, run_cpu = time.perf_counter() - w0, cpu_s() - c0
    else:
        net.run(duration)
        dev = b2.get_device()
        dev.build(compile=True, run=False, directory=build_dir)
        build_wall, build_cpu = time.perf_counter() - t_wall0, cpu_s() - t_cpu0
        w0, c0 = time.perf_counter(), cpu_s()
        dev.run()
        run_wall, run_cpu = time.perf_counter() - w0, cpu_s() - c0
    timing = {"build_wall_s": build_wall, "build_cpu_s": build_cpu, "run_wall_s": run_wall, "run_cpu_s": run_cpu,
              "peak_rss_mb": peak_rss_mb(children=True)}
    return case_result(b2, case, objs, sample_every, timing)


def case_result(b2, case: dict, objs: dict, sample_every: int, timing: dict) -> dict:
    """The result record of a case run with ``objs`` (:func:`build_network`)."""
    import numpy as np

    ms, mV = b2.ms, b2.mV
    monitor, syn = objs["monitor"], case["synapses"]
    dt_ms = float(case["dt_ms"])
    v = np.asarray(monitor.v[:] / mV)  # (sites, steps), V at the start of each step
    t = np.asarray(monitor.t[:] / ms)
    soma = v[0]
    result = {
        "name": case["name"],
        "n_compartments": int(objs["neuron"].N),
        "n_synapses": len(syn),
        "n_sources": objs["n_src"],
        "n_spikes": int(sum(len(s["spike_times_ms"]) for s in syn)),
        "dt_ms": dt_ms,
        "duration_ms": case["duration_ms"],
        "sample_every": sample_every,
        "t0_ms": float(t[0]),
        "record": case["record"],
        "record_compartments": objs["record_idx"],
        "v_mV": [row[::sample_every].round(6).tolist() for row in v],
        "timing": timing,
    }
    onset = case.get("epsp_onset_ms")
    if onset is not None:
        i0 = int(math.floor(onset / dt_ms + 1e-9))
        base = float(soma[i0])
        k = i0 + int(np.argmax(soma[i0:]))
        result["epsp"] = {"onset_ms": onset, "baseline_mV": base, "peak_mV": float(soma[k] - base),
                          "time_to_peak_ms": float(t[k] - onset),
                          "site_peak_mV": [float(row[i0:].max() - row[i0]) for row in v[1:]],
                          "measured_on": "the soma trace at every step (dt), baseline V at the onset step"}
    return result


def reuse_template(cases: list[dict]) -> tuple[dict, list[dict]]:
    """One network for every case of a protocol (``--reuse``): the cases must share the cell,
    dt, duration and recording and give each synapse one spike. The template has one synapse
    per (branch, compartment) used by any case, each with every receptor kind used, and one
    source per synapse that fires at the protocol's earliest spike step; a case is the
    synapses' weights (zero where the case has no synapse) and their delays (the case's spike
    step minus that step), set by ``run_args``. Returns the template case and, per case, its
    ``weights`` ({kind: per-slot}) and ``delays_ms`` (per slot)."""
    import numpy as np

    base = cases[0]
    for c in cases[1:]:
        for key in ("branches", "biophysics", "dt_ms", "duration_ms", "record"):
            if c[key] != base[key]:
                raise ValueError(f"--reuse: case {c['name']} differs from {base['name']} in {key!r}")
    dt = float(base["dt_ms"])
    slots = sorted({(s["branch"], s["compartment"]) for c in cases for s in c["synapses"]})
    index = {sl: i for i, sl in enumerate(slots)}
    kinds = sorted({r for c in cases for s in c["synapses"] for r in s["receptors"].split("+")})
    steps = []
    for c in cases:
        seen = set()
        for s in c["synapses"]:
            if len(s["spike_times_ms"]) != 1:
                raise ValueError(f"--reuse: case {c['name']}: every synapse must receive exactly one spike")
            if (s["branch"], s["compartment"]) in seen:
                raise ValueError(f"--reuse: case {c['name']}: two synapses in one compartment")
            seen.add((s["branch"], s["compartment"]))
            steps.append(int(math.floor(s["spike_times_ms"][0] / dt + 1e-9)))
    s0 = min(steps)
    template = dict(base, name="reuse_template", synapses=[
        {"branch": b, "compartment": k, "x_um": (k + 0.5) * base["branches"][b]["length_um"]
         / base["branches"][b]["n_compartments"], "receptors": "+".join(kinds), "spike_times_ms": [s0 * dt],
         "weight": 1.0} for b, k in slots])
    per_case = []
    for c in cases:
        w = {kind: np.zeros(len(slots)) for kind in kinds}
        delays = np.zeros(len(slots))
        for s in c["synapses"]:
            i = index[(s["branch"], s["compartment"])]
            for kind in s["receptors"].split("+"):
                w[kind][i] = s["weight"]
            delays[i] = (int(math.floor(s["spike_times_ms"][0] / dt + 1e-9)) - s0) * dt
        per_case.append({"weights": w, "delays_ms": delays})
    return template, per_case


def run_reuse(b2, cases: list[dict], sample_every: int, build_dir: str) -> list[dict]:
    """cpp_standalone, one compiled binary for all ``cases`` (:func:`reuse_template`), re-run
    per case with ``device.run(run_args=...)`` (Brian2 >= 2.6). The first result's
    ``build_*`` holds the one build (objects, code generation, compilation); every result's
    ``run_*`` is its own run of the binary."""
    import numpy as np

    t_wall0, t_cpu0 = time.perf_counter(), cpu_s()
    template, per_case = reuse_template(cases)
    kinds = {r for r in template["synapses"][0]["receptors"].split("+")}
    objs = build_network(b2, template, kinds)
    syn = objs["synapses"]
    assert objs["n_src"] == len(template["synapses"])
    syn.delay = 0 * b2.ms  # per synapse: a case's delays are set by run_args
    dev = b2.get_device()
    dev.apply_run_args()  # before the spike queue is set up (it reads the delays)
    objs["net"].run(template["duration_ms"] * b2.ms)
    dev.build(compile=True, run=False, directory=build_dir)
    build_wall, build_cpu = time.perf_counter() - t_wall0, cpu_s() - t_cpu0
    keys = {"ampa": "wA", "nmda": "wN", "gaba": "wG"}
    results = []
    for n, (case, pc) in enumerate(zip(cases, per_case)):
        values = {f"{syn.name}.{keys[k]}": np.asarray(v, dtype=float) for k, v in pc["weights"].items()}
        values[f"{syn.name}.delay"] = np.asarray(pc["delays_ms"], dtype=float) * 1e-3  # s
        # run_args as "name=file" strings: Brian2 2.9 names the delay "synapses_pre.delay" when
        # given as a VariableView, which the binary does not know ("synapses.delay")
        run_args = []
        for name, arr in values.items():
            fname = f"reuse_{name}_{n}.dat"
            arr.tofile(os.path.join(dev.project_dir, "static_arrays", fname))
            run_args.append(f"{name}=" + os.path.join("static_arrays", fname))
        w0, c0 = time.perf_counter(), cpu_s()
        dev.run(run_args=run_args)
        timing = {"build_wall_s": build_wall if n == 0 else 0.0, "build_cpu_s": build_cpu if n == 0 else 0.0,
                  "run_wall_s": time.perf_counter() - w0, "run_cpu_s": cpu_s() - c0,
                  "peak_rss_mb": peak_rss_mb(children=True)}
        res = case_result(b2, case, objs, sample_every, timing)
        res["n_sources"] = objs["n_src"]
        results.append(res)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="+", help="case JSON files (dendrites_cases.py --out)")
    parser.add_argument("--device", choices=["runtime", "cpp_standalone"], default="runtime")
    parser.add_argument("--sample-every", type=int, default=4, help="keep every k-th step of the traces (4: 0.1 ms)")
    parser.add_argument("--out", default=None, help="also write the result JSON here")
    parser.add_argument("--build-dir", default=None, help="cpp_standalone project folder (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true", help="cpp_standalone: compile one binary for all the cases "
                        "(one protocol) and re-run it per case with run_args")
    args = parser.parse_args(argv)
    if args.device == "cpp_standalone" and len(args.cases) != 1 and not args.reuse:
        parser.error("cpp_standalone runs one case per process (or all of one protocol with --reuse)")
    if args.reuse and args.device != "cpp_standalone":
        parser.error("--reuse needs --device cpp_standalone")

    import brian2 as b2

    b2.prefs.logging.console_log_level = "ERROR"
    b2.prefs.codegen.target = "cython"
    tmp = None
    build_dir = args.build_dir
    if args.device == "cpp_standalone":
        b2.prefs.devices.cpp_standalone.openmp_threads = 0
        tmp = tempfile.TemporaryDirectory(prefix="brian2_dendrites_")
        build_dir = build_dir or tmp.name
        b2.set_device("cpp_standalone", build_on_run=False, directory=build_dir)
    results = []
    cases = []
    for path in args.cases:
        with open(path) as f:
            cases.append(json.load(f))
    if args.reuse:
        results = run_reuse(b2, cases, args.sample_every, build_dir)
    for case in cases if not args.reuse else ():
        b2.start_scope()
        results.append(run_case(b2, case, args.device, args.sample_every, build_dir))
    record = {"simulator": f"brian2-{args.device}" + ("-reuse" if args.reuse else ""), "version": b2.__version__, "method": "exponential_euler",
              "cable_solver": "SpatialNeuron's implicit (backward Euler) solver", "threads": 1, "results": results}
    text = json.dumps(finite_or_none(record))
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    print(text, flush=True)
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
