"""Procedural connectivity: regenerated synapses are the same every time a source asks, and
their statistics are those of the stored rule (degrees, targets), within tolerances derived
from the rules' laws."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from netdyn.connectivity.procedural import plan_projection
from netdyn.connectivity.rules import connect
from netdyn.errors import ConfigError

KEY = np.uint64(0x5EED)


def plan(rule, n_pre, n_post, same=False, seed=1):
    return plan_projection(rule, n_pre, n_post, same_population=same, key=KEY, rng=np.random.default_rng(seed))


def all_pairs(p):
    pre, post = [], []
    for i in range(p.n_pre):
        t = p.targets(i)
        pre.append(np.full(t.size, i))
        post.append(t)
    return np.concatenate(pre), np.concatenate(post)


@pytest.mark.parametrize("rule", [{"rule": "fixed_total_number", "n_synapses": 5000},
                                  {"rule": "fixed_outdegree", "outdegree": 30},
                                  {"rule": "fixed_probability", "p": 0.1},
                                  {"rule": "fixed_indegree", "indegree": 20}])
def test_a_source_gets_the_same_synapses_every_time(rule):
    p = plan(rule, 200, 150)
    for i in (0, 7, 199):
        np.testing.assert_array_equal(p.targets(i), p.targets(i))
    assert not np.array_equal(p.targets(3), p.targets(4))
    other = plan_projection(rule, 200, 150, same_population=False, key=np.uint64(7), rng=np.random.default_rng(1))
    assert not np.array_equal(p.targets(3), other.targets(3))


def test_fixed_total_number_has_the_stored_rules_laws():
    n_pre, n_post, n_syn = 400, 300, 60000
    p = plan({"rule": "fixed_total_number", "n_synapses": n_syn}, n_pre, n_post)
    pre, post = all_pairs(p)
    assert pre.size == n_syn and post.min() >= 0 and post.max() < n_post
    # out-degrees: Multinomial(N, 1/n_pre) marginals are Binomial(N, 1/n_pre)
    out = np.bincount(pre, minlength=n_pre)
    mean, var = n_syn / n_pre, n_syn / n_pre * (1 - 1 / n_pre)
    assert out.mean() == pytest.approx(mean)
    assert out.var() == pytest.approx(var, rel=5 * math.sqrt(2 / n_pre))
    # targets uniform: chi-square over the targets
    assert stats.chisquare(np.bincount(post, minlength=n_post)).pvalue > 1e-4
    # in-degrees as the stored rule's (two-sample KS on the in-degree samples)
    s_pre, s_post = connect({"rule": "fixed_total_number", "n_synapses": n_syn}, n_pre, n_post, 5,
                            same_population=False)
    assert stats.ks_2samp(np.bincount(post, minlength=n_post), np.bincount(s_post, minlength=n_post)).pvalue > 1e-4
    assert stats.ks_2samp(out, np.bincount(s_pre, minlength=n_pre)).pvalue > 1e-4


def test_fixed_probability_is_bernoulli_per_pair_without_autapses():
    n, prob = 500, 0.05
    p = plan({"rule": "fixed_probability", "p": prob}, n, n, same=True)
    pre, post = all_pairs(p)
    assert not np.any(pre == post)
    for i in (0, 250, 499):
        t = p.targets(i)
        assert np.all(np.diff(t) > 0)  # distinct, in order
    out = np.bincount(pre, minlength=n)
    indeg = np.bincount(post, minlength=n)
    mean, var = prob * (n - 1), prob * (1 - prob) * (n - 1)
    for degrees in (out, indeg):
        assert degrees.mean() == pytest.approx(mean, abs=5 * math.sqrt(var / n))
        assert degrees.var() == pytest.approx(var, rel=5 * math.sqrt(2 / n))
    s_pre, s_post = connect({"rule": "fixed_probability", "p": prob}, n, n, 3, same_population=True)
    assert stats.ks_2samp(out, np.bincount(s_pre, minlength=n)).pvalue > 1e-4


def test_fixed_indegree_keeps_the_mean_indegree_with_poisson_spread():
    n_pre, n_post, k = 300, 400, 50
    p = plan({"rule": "fixed_indegree", "indegree": k}, n_pre, n_post)
    _, post = all_pairs(p)
    indeg = np.bincount(post, minlength=n_post)
    assert indeg.sum() == k * n_post
    var = k * (1 - 1 / n_post)  # Binomial(K n_post, 1 / n_post), documented
    assert indeg.var() == pytest.approx(var, rel=5 * math.sqrt(2 / n_post))


def test_all_to_all_and_one_to_one_are_exact():
    p = plan({"rule": "all_to_all"}, 5, 5, same=True)
    pre, post = all_pairs(p)
    assert pre.size == 20 and not np.any(pre == post)
    q = plan({"rule": "one_to_one"}, 6, 6)
    pre, post = all_pairs(q)
    np.testing.assert_array_equal(pre, post)


def test_distinct_pairs_and_explicit_lists_are_refused_with_the_field():
    with pytest.raises(ConfigError, match="rule.multapses"):
        plan({"rule": "fixed_total_number", "n_synapses": 10, "multapses": False}, 10, 10)
    with pytest.raises(ConfigError, match="explicit"):
        plan({"rule": "explicit", "pre": [0], "post": [1]}, 2, 2)


@pytest.mark.parametrize("dist", [
    {"kind": "constant", "value": 2.5},
    {"kind": "uniform", "low": 0.5, "high": 3.0},
    {"kind": "normal", "mean": 87.8, "std": 8.8},
    {"kind": "normal", "mean": 1.5, "std": 0.75, "min": 0.1, "bound": "redraw"},
    {"kind": "normal", "mean": -2.0, "std": 1.0, "max": -3.5, "bound": "redraw"},  # the far lower tail
    {"kind": "normal", "mean": 0.0, "std": 1.0, "min": 4.0, "bound": "redraw"},  # the far upper tail
    {"kind": "normal", "mean": 1.0, "std": 1.0, "min": 0.0, "max": 1.5, "bound": "clip"},
    {"kind": "lognormal", "mean": -3.0, "std": 1.5},
])
def test_regenerated_values_follow_the_stored_distribution(dist):
    from netdyn.connectivity.distributions import sample
    from netdyn.connectivity.procedural import draw_value, value_params
    from netdyn.counter_random import step_stream

    params = value_params(dist)
    stream = np.uint64(step_stream(np.uint64(11), 4))
    got = np.array([draw_value(params, stream, i) for i in range(20000)])
    assert np.array_equal(got[:50], np.array([draw_value(params, stream, i) for i in range(50)]))
    ref = sample(dist, 20000, 3)
    if np.ptp(ref) == 0:
        np.testing.assert_array_equal(got, ref)
    else:
        assert stats.ks_2samp(got, ref).pvalue > 1e-4
        lo, hi = dist.get("min", -np.inf), dist.get("max", np.inf)
        assert got.min() >= lo and got.max() <= hi


def test_engine_arrays_regenerate_the_plans_synapses_and_bound_the_delays():
    from netdyn.connectivity.procedural import source_targets
    from netdyn.engines.spiking.build import plan_layout
    from netdyn.engines.spiking.procedural import build_procedural
    from netdyn.seeding import named_generator
    from netdyn.studies.microcircuit import microcircuit_spec

    spec = microcircuit_spec(0.02)
    lay = plan_layout(spec)
    ps = build_procedural(spec, lay, list(range(len(spec.projections))))
    assert ps.n_projections == len(spec.projections) and ps.group_ptr[-1] == ps.n_projections
    assert ps.expected_synapses == sum(p.rule.n_synapses for p in spec.projections)
    assert ps.max_delay_steps == int(round((1.5 + 8 * 0.75) / spec.dt_ms))  # the excitatory delays' 8-SD cut
    q = 5
    proj = next(p for p in spec.projections if lay.source_offset(p.source)[0] == ps.src_first[q]
                and lay.pop_names.index(p.target) == ps.tgt_pop[q])
    rng = named_generator(spec.seed, "projection", proj.key)
    keys = rng.integers(0, 2**63, size=3, dtype=np.uint64)
    ref = plan_projection(proj.rule, int(ps.n_pre[q]), int(ps.n_post[q]), same_population=proj.source == proj.target,
                          key=keys[0], rng=rng)
    out = np.empty(ps.max_per_source, dtype=np.int64)
    for i in (0, int(ps.n_pre[q]) - 1):
        count = int(ps.counts[ps.counts_off[q] + i])
        k = source_targets(ps.kind[q], ps.n_post[q], ps.skip_self[q], count, ps.p[q], ps.key[q], i, out)
        np.testing.assert_array_equal(out[:k], ref.targets(i))


def test_engine_arrays_refuse_what_cannot_be_regenerated():
    from netdyn.engines.spiking.build import plan_layout
    from netdyn.engines.spiking.procedural import build_procedural
    from netdyn.models.spiking.spec import spec_from_any

    cond = {"name": "A", "n_neurons": 20, "model": "lif_cond_exp"}
    spec = spec_from_any({"populations": [cond], "projections": [
        {"source": "A", "target": "A", "receptor": "exc", "rule": {"rule": "fixed_probability", "p": 0.2},
         "weight": {"kind": "normal", "mean": 1.0, "std": 0.5}}]})
    with pytest.raises(ConfigError, match=r"projections.0.weight"):
        build_procedural(spec, plan_layout(spec), [0])


def test_procedural_network_runs_with_the_same_spikes_at_any_thread_count_and_stored_rates():
    from netdyn.engines.spiking import Network
    from netdyn.studies.microcircuit import microcircuit_spec

    spec = microcircuit_spec(0.05, seed=4)
    procedural = [Network(spec, threads=t, connectivity="procedural") for t in (1, 2)]
    assert procedural[0].n_synapses == 0  # nothing stored
    recs = [net.run(300.0).recording() for net in procedural]
    assert recs[0].spike_digest() == recs[1].spike_digest()
    stored = Network(spec).run(300.0).recording()
    for pop, s in stored.spikes.items():
        a, b = s.n_spikes, recs[0].spikes[pop].n_spikes
        assert abs(a - b) <= 5 * math.sqrt(a + b) + 0.15 * max(a, b), pop  # Poisson + seed spread


def test_connectivity_modes_are_validated():
    from netdyn.engines.spiking import Network
    from netdyn.studies.coba import coba_spec

    with pytest.raises(ConfigError, match="connectivity"):
        Network(coba_spec(100), connectivity="sometimes")
    with pytest.raises(ConfigError, match="connectivity.nope"):
        Network(coba_spec(100), connectivity={"nope": "procedural"})


@pytest.mark.parametrize("dist", [
    {"kind": "constant", "value": 1.5},
    {"kind": "uniform", "low": 0.5, "high": 3.0},
    {"kind": "normal", "mean": 1.5, "std": 0.75, "min": 0.1, "bound": "redraw"},
    {"kind": "normal", "mean": 12.0, "std": 6.0, "min": 0.1, "bound": "redraw"},
    {"kind": "normal", "mean": 1.0, "std": 1.0, "min": 0.2, "max": 1.5, "bound": "clip"},
    {"kind": "lognormal", "mean": 2.0, "std": 1.0},
])
def test_delays_in_steps_follow_the_stored_synapses_rounded_law(dist):
    """The alias-table draw of a delay in steps has the law of the stored synapses' delays
    (drawn in ms, rounded to steps, at least one step): chi-square against the stored
    sampler's counts, two samples of 40,000."""
    from netdyn.connectivity.distributions import sample
    from netdyn.connectivity.procedural import alias_table, delay_step_pmf, draw_alias
    from netdyn.counter_random import step_stream
    from netdyn.engines.spiking.build import delay_steps
    from netdyn.engines.spiking.procedural import TAIL_SD, _upper_bound  # noqa: F401 - the cut's rule

    dt, n = 0.1, 40000
    d_max = int(delay_steps(_upper_bound(dist), dt))
    pmf = delay_step_pmf(dist, dt, d_max)
    assert pmf.sum() == pytest.approx(1.0) and pmf.min() >= 0
    prob, alias = alias_table(pmf)
    stream = np.uint64(step_stream(np.uint64(5), 2))
    got = np.array([draw_alias(prob, alias, 0, pmf.size, stream, i) + 1 for i in range(n)])
    assert got.min() >= 1 and got.max() <= d_max
    ref = np.minimum(delay_steps(sample(dist, n, 8), dt), d_max)
    # the table is the exact law: its mean against the stored draws' mean, within 5 SE
    values = np.arange(1, d_max + 1)
    mean, sd = (pmf * values).sum(), math.sqrt((pmf * values**2).sum() - (pmf * values).sum() ** 2)
    for draws in (got, ref):
        assert abs(draws.mean() - mean) <= 5 * sd / math.sqrt(n) + 1e-12
    keep = np.flatnonzero(pmf * n >= 5)  # chi-square of both samples over the well-filled bins
    table = np.array([np.bincount(got, minlength=d_max + 1)[1:][keep], np.bincount(ref, minlength=d_max + 1)[1:][keep]])
    if keep.size > 1:
        assert stats.chi2_contingency(table).pvalue > 1e-4


def _source_network(*, delay, rule, rate_hz=2000.0, n_src=40, seed=9):
    """Poisson sources onto 60 current-based neurons that never fire (threshold far away),
    through one procedural-capable projection; every target's synaptic current probed. The
    synaptic current decays within a step (tau 1 us), so the current sampled at step k + 1 is
    the input delivered at step k."""
    from netdyn.models.spiking.spec import spec_from_any

    return spec_from_any({
        "dt_ms": 0.1, "seed": seed,
        "populations": [{"name": "T", "n_neurons": 60, "model": "lif_psc_exp", "params": {"v_th_mV": 1e6},
                         "receptors": [{"name": "exc", "tau_ms": 1e-3}]}],
        "sources": [{"name": "S", "n_neurons": n_src, "rate": rate_hz}],
        "projections": [{"source": "S", "target": "T", "receptor": "exc", "rule": rule,
                         "weight": {"kind": "normal", "mean": 10.0, "std": 2.0}, "delay_ms": delay}],
        "record": {"spikes": ["S"], "state": [{"population": "T", "variable": "i_exc_pA", "neurons": list(range(60))}]},
    })


RULES = [{"rule": "fixed_outdegree", "outdegree": 25}, {"rule": "fixed_probability", "p": 0.3},
         {"rule": "all_to_all"}, {"rule": "fixed_total_number", "n_synapses": 900}]


def _current(spec, monkeypatch=None, ring_bytes=None, threads=1, small_history=False, ms=40.0):
    import netdyn.engines.spiking.procedural as proc
    from netdyn.engines.spiking import Network

    if ring_bytes is not None:
        monkeypatch.setattr(proc, "RING_BYTES", ring_bytes)
    net = Network(spec, connectivity="procedural", threads=threads)
    if small_history:  # the step loop must stop and let the history grow, several times
        cap = 4 * int(net._hist_own_max.max()) + 1
        net._hist_ids = np.zeros((threads, cap), np.int32)
        net._hist_mult = np.zeros((threads, cap), np.int32)
    rec = net.run(ms).recording()
    return net, next(iter(rec.state["T"].values())).values


def _expected_input(net, rec, n_steps):
    """The input each step delivers to each target, from the recorded source spikes and the
    synapses :meth:`ProceduralSynapses.synapses` regenerates (float64 sums)."""
    out = np.zeros((n_steps, 60))
    spikes = rec.spikes["S"]
    steps = np.rint(spikes.times_ms / 0.1).astype(np.int64) - 1  # a spike of step k is stamped (k + 1) dt
    for step, source in zip(steps, spikes.senders):
        targets, weights, delays = net.procedural.synapses(0, int(source))
        keep = step + delays < n_steps
        np.add.at(out, (step + delays[keep], targets[keep]), weights[keep].astype(np.float32).astype(np.float64))
    return out


@pytest.mark.parametrize("rule", RULES)
def test_delay_windows_deliver_every_synapse_once_at_its_delay(rule, monkeypatch):
    """Delays cut into windows (a ring of 9 slots instead of 91; the counted rules split each
    source's synapses among the windows): every step's input is that of the regenerated
    synapses at their delays (float32 sums in another order), bit-identical at 1, 2 and 3
    threads, also when the spike history must grow."""
    delay = {"kind": "normal", "mean": 4.0, "std": 2.0, "min": 0.1}
    spec = _source_network(delay=delay, rule=rule)
    whole, _ = _current(spec)
    assert whole.procedural.n_windows == 1
    n_chan = whole.layout.n_chan
    runs = [_current(spec, monkeypatch, 4 * n_chan * 9, threads=t, small_history=small)
            for t, small in ((1, False), (2, False), (3, True))]
    net, cur = runs[0]
    assert net.procedural.window_steps == 8 and net.procedural.n_windows == -(-whole.procedural.max_delay_steps // 8)
    assert net.n_slots == 9 and (net.procedural.wt_ptr[0] >= 0) == (rule["rule"] in ("fixed_outdegree",
                                                                                        "fixed_total_number"))
    delivered = np.where(np.abs(cur) < 1e-30, 0.0, cur)[1:]
    want = _expected_input(net, net.recording(), delivered.shape[0])
    assert np.count_nonzero(want.any(axis=1)) > 100
    np.testing.assert_allclose(delivered, want, rtol=1e-5, atol=1e-4)
    for _, other in runs[1:]:
        np.testing.assert_array_equal(other, cur)
    assert runs[2][0]._hist_ids.shape[1] > 4 * int(runs[2][0]._hist_own_max.max()) + 1  # it grew


def test_window_split_keeps_the_delay_law(monkeypatch):
    """The counted rules' synapses split among delay windows (multinomial by the windows'
    mass, then each window's conditional law) have the delay law of the whole: chi-square
    of 12,000 regenerated delays against the law."""
    import netdyn.engines.spiking.procedural as proc
    from netdyn.connectivity.procedural import delay_step_pmf
    from netdyn.engines.spiking.build import plan_layout

    delay = {"kind": "normal", "mean": 4.0, "std": 2.0, "min": 0.1}
    spec = _source_network(delay=delay, rule={"rule": "fixed_outdegree", "outdegree": 300})
    monkeypatch.setattr(proc, "RING_BYTES", 4 * 120 * 9)
    ps = proc.build_procedural(spec, plan_layout(spec), [0])
    assert ps.n_windows > 3 and ps.wt_ptr[0] >= 0
    delays = np.concatenate([ps.synapses(0, i)[2] for i in range(40)])
    pmf = delay_step_pmf(delay, 0.1, ps.max_delay_steps)
    observed = np.bincount(delays, minlength=pmf.size + 1)[1:]
    keep = pmf * delays.size >= 5
    expected = pmf[keep] * delays.size
    expected *= observed[keep].sum() / expected.sum()
    assert stats.chisquare(observed[keep], expected).pvalue > 1e-4


def test_a_checkpoint_keeps_the_spikes_still_to_deliver_by_later_windows(monkeypatch, tmp_path):
    import netdyn.engines.spiking.procedural as proc
    from netdyn.engines.spiking import Network

    spec = _source_network(delay={"kind": "normal", "mean": 4.0, "std": 2.0, "min": 0.1},
                           rule={"rule": "fixed_outdegree", "outdegree": 25})
    monkeypatch.setattr(proc, "RING_BYTES", 4 * 60 * 9)
    a = Network(spec, connectivity="procedural", threads=2).run(20.0)
    assert a.procedural.n_windows > 2
    path = a.save_state(tmp_path / "state.npz")
    b = Network(spec, connectivity="procedural", threads=3).load_state(path).run(20.0)
    a.run(20.0)
    ca = next(iter(a.recording().state["T"].values()))
    cb = next(iter(b.recording().state["T"].values()))
    np.testing.assert_array_equal(ca.sel(time_ms=cb.time_ms).values, cb.values)


def test_engine_synapses_are_the_same_every_time_and_follow_the_rule():
    from netdyn.engines.spiking.build import plan_layout
    from netdyn.engines.spiking.procedural import build_procedural

    spec = _source_network(delay={"kind": "normal", "mean": 4.0, "std": 2.0, "min": 0.1},
                           rule={"rule": "fixed_probability", "p": 0.3}, n_src=400)
    spec = spec.model_copy(update={"record": spec.record.model_copy(update={"state": ()})})
    ps = build_procedural(spec, plan_layout(spec), [0])
    first = [ps.synapses(0, i) for i in range(400)]
    for i in (0, 17, 399):
        for a, b in zip(first[i], ps.synapses(0, i)):
            np.testing.assert_array_equal(a, b)
    targets = np.concatenate([t for t, _, _ in first])
    assert targets.size == pytest.approx(0.3 * 400 * 60, abs=5 * math.sqrt(400 * 60 * 0.3 * 0.7))
    weights = np.concatenate([w for _, w, _ in first])
    assert weights.mean() == pytest.approx(10.0, abs=5 * 2.0 / math.sqrt(weights.size))
    delays = np.concatenate([d for _, _, d in first])
    assert delays.min() >= 1 and delays.max() <= ps.max_delay_steps


def test_buffered_events_sum_in_the_order_they_are_made(monkeypatch):
    """The step loop makes each projection's synapses into a per-thread buffer, then adds them
    to the ring: the spikes do not depend on the buffer's size (here 7 events, emptied many
    times within one source's synapses), with stored projections beside procedural ones."""
    import netdyn.engines.spiking.procedural as proc
    from netdyn.engines.spiking import Network
    from netdyn.studies.microcircuit import microcircuit_spec

    spec = microcircuit_spec(0.03, seed=2)
    mixed = {p.key: ("procedural" if k % 2 else "stored") for k, p in enumerate(spec.projections)}
    default = Network(spec, connectivity=mixed).run(150.0).recording().spike_digest()
    monkeypatch.setattr(proc, "EVENT_BUFFER", 7)
    for threads in (1, 2):
        net = Network(spec, connectivity=mixed, threads=threads)
        assert net._events[0].shape == (threads, 7)
        assert net.run(150.0).recording().spike_digest() == default


def test_estimate_covers_the_window_split_history_and_ring(monkeypatch):
    """With delay windows the estimate counts the out-degrees split among the windows, the
    spike history and the shrunk ring: what the engine then holds, or more (the windows'
    count is bounded from the delays' cut, not drawn)."""
    import netdyn.engines.spiking.procedural as proc
    from netdyn.engines.spiking import Network

    spec = _source_network(delay={"kind": "normal", "mean": 4.0, "std": 2.0, "min": 0.1},
                           rule={"rule": "fixed_outdegree", "outdegree": 25})
    monkeypatch.setattr(proc, "RING_BYTES", 4 * 60 * 9)
    net = Network(spec, connectivity="procedural", threads=2)
    parts = net.memory_estimate.parts
    assert net.procedural.n_windows > 2 and net.procedural.wcounts.dtype == np.uint16
    assert net.ring.nbytes == 4 * 9 * 60 <= parts["ring buffer"] <= 4 * 17 * 60  # the estimate: 16 slots at least
    held = net.procedural.counts.nbytes + net.procedural.wcounts.nbytes
    assert held <= parts["procedural out-degrees"] <= held + 2 * 40 * 2  # at most a window more per source
    buffers = sum(a.nbytes for a in net._events) + net._hist_ids.nbytes + net._hist_mult.nbytes
    assert buffers <= parts["procedural buffers"]
