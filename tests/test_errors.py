"""netdyn's errors survive pickling (they cross process pools and Dask intact)."""

import pickle

import pytest

from netdyn.errors import ConfigError, MemoryEstimateError, NumericalInstabilityError, SpikingInstabilityError


@pytest.mark.parametrize("error", [
    ConfigError("n_neurons", 0, "must be >= 1"),
    NumericalInstabilityError(3, 0.3, 1, 7, float("inf")),
    SpikingInstabilityError("Exc", 12, 40, 4.1),
    MemoryEstimateError(10 * 2**30, 2**30, {"synapses": 10 * 2**30}),
])
def test_errors_round_trip_through_pickle(error):
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error) and str(back) == str(error)
    same = {k: v for k, v in back.__dict__.items() if v == v}  # NaN values compare unequal
    assert same == {k: v for k, v in error.__dict__.items() if v == v}
