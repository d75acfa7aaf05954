r"""Counter-based random numbers for compiled loops: a draw is a pure function of a key and
counters, so a result does not depend on how a run is cut into calls, on the order in which
neurons or synapses are visited, or on the number of threads.

A stream is a 64-bit key mixed with a step number (:func:`step_stream`); draw ``i`` of a
stream is SplitMix64's output for that position (:func:`counter_uniform`). Normal variates
come in pairs from two uniforms by the Box-Muller transform (:func:`counter_normal_pair`), or
one at a time by the ziggurat method (:func:`counter_normal`: one 64-bit draw and a table
look-up in 99 % of cases, about five times cheaper where draws are scattered).

This module is a leaf (numpy and numba only), so models and engines can both use it.

References
----------
G. Marsaglia, W. W. Tsang (2000), The ziggurat method for generating random variables, Journal
of Statistical Software 5(8).
G. L. Steele, D. Lea, C. H. Flood (2014), Fast splittable pseudorandom number generators,
OOPSLA '14, 453-472.
J. K. Salmon, M. A. Moraes, R. O. Dror, D. E. Shaw (2011), Parallel random numbers: as easy
as 1, 2, 3, SC '11.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["mix64", "step_stream", "counter_bits", "counter_uniform", "counter_normal_pair", "counter_normal"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # SplitMix64's increment
_STEP_KEY = np.uint64(0xD1B54A32D192ED03)
_TWO_PI = 2.0 * math.pi


@njit(cache=True, nogil=True, inline="always")
def mix64(z):  # pragma: no cover - compiled
    """SplitMix64's output function (Steele, Lea & Flood 2014), a bijective 64-bit mixer."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True, nogil=True, inline="always")
def step_stream(key, step):  # pragma: no cover - compiled
    """Seed of a stream for one step: the draws of a step depend only on (key, step)."""
    return mix64(key + np.uint64(step + 1) * _STEP_KEY)


@njit(cache=True, nogil=True, inline="always")
def counter_bits(stream, i):  # pragma: no cover - compiled
    """The 64 random bits number ``i`` of the SplitMix64 sequence seeded with ``stream``."""
    return mix64(stream + np.uint64(i + 1) * _GOLDEN)


@njit(cache=True, nogil=True, inline="always")
def counter_uniform(stream, i):  # pragma: no cover - compiled
    """Uniform double in [0, 1) number ``i`` of the SplitMix64 sequence seeded with ``stream``
    (counter-based: no state carried from one draw to the next, so a loop over neurons
    vectorises)."""
    return np.float64(counter_bits(stream, i) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def counter_normal_pair(stream, i):  # pragma: no cover - compiled
    """Two independent standard normal variates, pair ``i`` of ``stream`` (Box-Muller on the
    uniforms ``2 i`` and ``2 i + 1``; ``1 - u`` keeps the logarithm finite)."""
    u1 = counter_uniform(stream, 2 * i)
    u2 = counter_uniform(stream, 2 * i + 1)
    r = math.sqrt(-2.0 * math.log(1.0 - u1))
    return r * math.cos(_TWO_PI * u2), r * math.sin(_TWO_PI * u2)


def _ziggurat_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Marsaglia & Tsang's 128-layer tables of the normal density: ``kn`` (acceptance bounds of a
    signed 32-bit draw), ``wn`` (its scale per layer), ``fn`` (the density at the layer edges)."""
    m1 = 2147483648.0
    dn = tn = 3.442619855899
    vn = 9.91256303526217e-3
    kn, wn, fn = np.zeros(128, np.int64), np.zeros(128), np.zeros(128)
    q = vn / math.exp(-0.5 * dn * dn)
    kn[0], kn[1] = int(dn / q * m1), 0
    wn[0], wn[127] = q / m1, dn / m1
    fn[0], fn[127] = 1.0, math.exp(-0.5 * dn * dn)
    for i in range(126, 0, -1):
        dn = math.sqrt(-2.0 * math.log(vn / dn + math.exp(-0.5 * dn * dn)))
        kn[i + 1] = int(dn / tn * m1)
        tn = dn
        fn[i] = math.exp(-0.5 * dn * dn)
        wn[i] = dn / m1
    return kn, wn, fn


_KN, _WN, _FN = _ziggurat_tables()
_ZIG_R = 3.442619855899
_SUB_KEY = np.uint64(0xA0761D6478BD642F)


@njit(cache=True, nogil=True, error_model="numpy")
def _ziggurat_slow(stream, i, hz, iz):  # pragma: no cover - compiled
    """The ziggurat's rejection steps (about 1 % of draws), with further uniforms from a
    sub-stream of draw ``i``."""
    sub = mix64(stream ^ (np.uint64(i + 1) * _SUB_KEY))
    j = 0
    while True:
        x = hz * _WN[iz]
        if iz == 0:  # the tail beyond r
            while True:
                xt = -math.log(1.0 - counter_uniform(sub, j)) / _ZIG_R
                y = -math.log(1.0 - counter_uniform(sub, j + 1))
                j += 2
                if y + y >= xt * xt:
                    return _ZIG_R + xt if hz > 0 else -_ZIG_R - xt
        if _FN[iz] + counter_uniform(sub, j) * (_FN[iz - 1] - _FN[iz]) < math.exp(-0.5 * x * x):
            return x
        bits = mix64(sub + np.uint64(j + 1000003) * _GOLDEN)
        j += 1
        hz = np.int64(np.int32(np.uint32(bits >> np.uint64(32))))
        iz = np.int64(bits & np.uint64(127))
        if abs(hz) < _KN[iz]:
            return hz * _WN[iz]


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def counter_normal(stream, i):  # pragma: no cover - compiled
    """Standard normal variate number ``i`` of ``stream`` by the ziggurat method (Marsaglia &
    Tsang 2000): the high 32 bits of one SplitMix64 draw are a signed integer, the low 7 bits
    a layer; accepted at once in about 99 % of cases."""
    bits = counter_bits(stream, i)
    hz = np.int64(np.int32(np.uint32(bits >> np.uint64(32))))
    iz = np.int64(bits & np.uint64(127))
    if abs(hz) < _KN[iz]:
        return hz * _WN[iz]
    return _ziggurat_slow(stream, i, hz, iz)
