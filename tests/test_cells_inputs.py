"""Inputs placed on a cell: spike trains and sequences (netdyn.cells.inputs)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats

from netdyn.cells.inputs import SynapticInput, poisson_times, sequence_inputs
from netdyn.cells.morphology import Morphology, Site
from netdyn.errors import ConfigError


def _stick(length_um: float = 200.0, n: int = 4) -> Morphology:
    """A soma segment and one straight dendrite of ``n`` segments along x."""
    xs = np.linspace(0.0, length_um, n + 1)
    prox = [[-10.0, 0, 0, 5.0]] + [[x, 0, 0, 1.0] for x in xs[:-1]]
    dist = [[0.0, 0, 0, 5.0]] + [[x, 0, 0, 1.0] for x in xs[1:]]
    return Morphology(np.array(prox), np.array(dist), np.arange(-1, n), np.array([1] + [3] * n), "stick")


def test_poisson_times_is_a_poisson_process() -> None:
    times = poisson_times(40.0, 50_000.0, 3, "exc", 0)
    assert np.all(np.diff(times) >= 0) and times[0] >= 0 and times[-1] < 50_000.0
    # 2,000 expected spikes: the count is within 4 SD, the intervals exponential (KS)
    assert abs(len(times) - 2000) < 4 * np.sqrt(2000)
    assert stats.kstest(np.diff(times), "expon", args=(0, 25.0)).pvalue > 1e-3


def test_poisson_streams_depend_on_the_name_only() -> None:
    a = poisson_times(10.0, 1000.0, 7, "exc", 5)
    assert np.array_equal(a, poisson_times(10.0, 1000.0, 7, "exc", 5))
    assert not np.array_equal(a, poisson_times(10.0, 1000.0, 7, "exc", 6))
    assert not np.array_equal(a, poisson_times(10.0, 1000.0, 8, "exc", 5))


@pytest.mark.parametrize("direction", ["centripetal", "centrifugal"])
def test_sequence_times_follow_the_speed(direction: str) -> None:
    m = _stick()
    sites = [Site(1, d) for d in (20.0, 60.0, 100.0, 140.0)]
    inputs = sequence_inputs(m, sites, direction=direction, speed_um_per_ms=2.0, start_ms=10.0)
    t = np.array([i.spike_times_ms[0] for i in inputs])
    expected = 10.0 + (np.array([0.0, 20.0, 40.0, 60.0]) if direction == "centrifugal" else np.array([60.0, 40.0, 20.0, 0.0]))
    np.testing.assert_allclose(t, expected)
    assert [i.site for i in inputs] == sites and all(i.receptors == "ampa+nmda" for i in inputs)


def test_sequence_refuses_sites_off_the_tree() -> None:
    with pytest.raises(ConfigError) as err:
        sequence_inputs(_stick(), [Site(1, 500.0)], direction="centripetal", speed_um_per_ms=1.0, start_ms=0.0)
    assert err.value.field == "distance_um"
    with pytest.raises(ConfigError) as err:
        sequence_inputs(_stick(), [Site(1, 50.0)], direction="inwards", speed_um_per_ms=1.0, start_ms=0.0)
    assert err.value.field == "direction"


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=1, max_size=6))
def test_spike_times_must_be_sorted_finite_nonnegative(times: list[float]) -> None:
    arr = np.array(times, dtype=float)
    valid = np.all(np.isfinite(arr)) and arr[0] >= 0 and np.all(np.diff(arr) >= 0)
    if valid:
        assert np.array_equal(SynapticInput(Site(1, 1.0), "ampa", arr).spike_times_ms, arr)
    else:
        with pytest.raises(ConfigError) as err:
            SynapticInput(Site(1, 1.0), "ampa", arr)
        assert err.value.field == "spike_times_ms"


def test_receptors_and_weight_are_checked() -> None:
    with pytest.raises(ConfigError) as err:
        SynapticInput(Site(1, 1.0), "kainate", [1.0])  # type: ignore[arg-type]
    assert err.value.field == "receptors"
    with pytest.raises(ConfigError) as err:
        SynapticInput(Site(1, 1.0), "gaba", [1.0], weight=-1.0)
    assert err.value.field == "weight"
