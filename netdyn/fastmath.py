r"""Elementary functions for compiled loops, written so that LLVM vectorises them.

The platform's ``exp`` and ``tanh`` are scalar library calls (about 20 ns per call on the
project's machines), which dominate a neuron or rate update; the functions here are
branch-free polynomials that the loop vectoriser turns into SIMD code (about 1 ns per
element). Both reduce the argument the same way, :math:`y = k \ln 2 + r` with
:math:`|r| \le \ln 2 / 2` (Cody & Waite 1980, the split of :math:`\ln 2` of fdlibm), and
evaluate a Taylor polynomial of :math:`e^r` in Horner form.

This module is a leaf: it imports only numpy and numba, so models and engines can both use
it.

References
----------
W. J. Cody, W. Waite (1980), *Software Manual for the Elementary Functions*, Prentice-Hall.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, types
from numba.extending import intrinsic, overload

__all__ = ["exp", "tanh", "tanh_f32", "tanh_native"]

_LN2_HI = 6.93147180369123816490e-01  # Cody-Waite split of ln 2 (fdlibm)
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _reduce(y):  # pragma: no cover - compiled
    """``(k, r)`` with ``y = k ln 2 + r``, ``|r| <= ln 2 / 2`` (``k`` as a float)."""
    kf = np.floor(y * _INV_LN2 + 0.5)
    return kf, (y - kf * _LN2_HI) - kf * _LN2_LO


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _horner_to_half(p, r):  # pragma: no cover - compiled
    """Continue a Horner evaluation of the Taylor series of ``e^r`` from the coefficient of
    ``r^12`` (``p``) down to that of ``r^2`` (1/2)."""
    p = p * r + 2.505210838544172e-08
    p = p * r + 2.755731922398589e-07
    p = p * r + 2.7557319223985893e-06
    p = p * r + 2.48015873015873e-05
    p = p * r + 0.0001984126984126984
    p = p * r + 0.001388888888888889
    p = p * r + 0.008333333333333333
    p = p * r + 0.041666666666666664
    p = p * r + 0.16666666666666666
    return p * r + 0.5


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def exp(x):  # pragma: no cover - compiled
    r"""``e**x`` for finite ``x``, clamped to [-708, 709] (so it never overflows to inf).

    .. math:: e^x = 2^k e^r,\quad x = k \ln 2 + r,\quad |r| \le \ln 2 / 2

    with :math:`e^r` by its degree-12 Taylor polynomial (truncation below 2e-16 relative) and
    :math:`2^k` written directly into the exponent bits. Within 2 ulp of ``math.exp``. NaN
    propagates.
    """
    # explicit selects: numba's min/max are calls, which would stop the loop vectoriser
    xc = x if x > -708.0 else -708.0
    xc = xc if xc < 709.0 else 709.0
    kf, r = _reduce(xc)
    p = _horner_to_half(2.08767569878681e-09, r)
    p = p * r + 1.0
    p = p * r + 1.0
    scale = _bits_to_float64((np.int64(kf) + 1023) << 52)  # 2**k, exact for k in [-1022, 1023]
    return (p * scale) if x == x else x


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def tanh(x):  # pragma: no cover - compiled
    r"""tanh to within 3 ulp of numpy's.

    .. math:: \tanh|x| = \frac{t}{t + 2},\quad t = e^{2|x|} - 1 = 2^k (1 + p(r)) - 1

    with :math:`2|x| = k \ln 2 + r`, :math:`p(r) = e^r - 1` by its degree-13 Taylor
    polynomial (truncation < 1e-17 relative) and :math:`2^k` assembled from the bits of ``k``
    by exact multiplications. ``|x|`` is clamped at 20, beyond which ``tanh`` rounds to 1.
    NaN propagates; ``tanh(+-inf) = +-1``.
    """
    a = min(abs(x), 20.0)
    kf, r = _reduce(2.0 * a)
    p = 1.6059043836821613e-10
    p = _horner_to_half(p * r + 2.08767569878681e-09, r)
    p = p * r * r + r
    k = np.int64(kf)
    s = 1.0
    s *= 2.0 if (k & 1) else 1.0
    s *= 4.0 if (k & 2) else 1.0
    s *= 16.0 if (k & 4) else 1.0
    s *= 256.0 if (k & 8) else 1.0
    s *= 65536.0 if (k & 16) else 1.0
    s *= 4294967296.0 if (k & 32) else 1.0
    t = s * p + (s - 1.0)
    return math.copysign(t / (t + 2.0), x)


_F32_LN2_HI = np.float32(0.693145751953125)  # ln 2 split for float32 (Cephes expf)
_F32_LN2_LO = np.float32(1.428606765330187045e-06)
_F32_INV_LN2 = np.float32(1.44269504088896341)
_F32_CLAMP = np.float32(9.0)  # tanh(9) rounds to 1 in float32
_F32_HALF = np.float32(0.5)
_F32_ONE = np.float32(1.0)
_F32_TWO = np.float32(2.0)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def tanh_f32(x):  # pragma: no cover - compiled
    r"""tanh of a float32, in float32 arithmetic (the float32 engines' transfer function).

    As :func:`tanh` with float32 constants: :math:`\tanh|x| = t / (t + 2)`,
    :math:`t = e^{2|x|} - 1 = 2^k (1 + p(r)) - 1`, :math:`2|x| = k \ln 2 + r`,
    :math:`|r| \le \ln 2 / 2`, :math:`p(r) = e^r - 1` by its degree-7 Taylor polynomial
    (truncation < 1e-8 relative, below float32's resolution of 6e-8); ``|x|`` is clamped at
    9, beyond which tanh rounds to 1. Within a few float32 ulp of ``np.tanh`` in float32
    (tests); NaN propagates. Half the width of the float64 form, so twice the values per
    SIMD instruction, and fewer terms.
    """
    a = min(abs(x), _F32_CLAMP)
    y = _F32_TWO * a
    kf = np.floor(y * _F32_INV_LN2 + _F32_HALF)
    r = (y - kf * _F32_LN2_HI) - kf * _F32_LN2_LO
    p = np.float32(1.9841270e-04)
    p = p * r + np.float32(1.3888889e-03)
    p = p * r + np.float32(8.3333333e-03)
    p = p * r + np.float32(4.1666667e-02)
    p = p * r + np.float32(1.6666667e-01)
    p = p * r + _F32_HALF
    p = p * r * r + r
    k = np.int32(kf)
    s = _F32_ONE
    s *= _F32_TWO if (k & 1) else _F32_ONE
    s *= np.float32(4.0) if (k & 2) else _F32_ONE
    s *= np.float32(16.0) if (k & 4) else _F32_ONE
    s *= np.float32(256.0) if (k & 8) else _F32_ONE
    s *= np.float32(65536.0) if (k & 16) else _F32_ONE
    t = s * p + (s - _F32_ONE)
    return math.copysign(t / (t + _F32_TWO), x)


def tanh_native(x):  # pragma: no cover - replaced in compiled code
    """tanh in the precision of ``x``: :func:`tanh_f32` for float32, :func:`tanh` otherwise
    (compiled code only)."""
    raise NotImplementedError("tanh_native is for compiled code")


@overload(tanh_native, inline="always")
def _tanh_native(x):  # pragma: no cover - typing
    if x == types.float32:
        return lambda x: tanh_f32(x)
    return lambda x: tanh(x)


@intrinsic
def _bits_to_float64(typingctx, bits):  # pragma: no cover - compiled
    """Reinterpret an int64 as the float64 with the same bits (an LLVM bitcast, vectorisable)."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))

    return sig, codegen
