"""Same seed, same numbers: every study and integrator reproduces its stored digests.

The digests in ``tests/golden/digests.json`` were made by ``tests/golden/make_golden.py``;
a change that alters numbers on purpose regenerates them in the same commit. The cases run in
a subprocess with the reference numerics (``make_golden.REFERENCE_NUMERICS``: OpenBLAS's
Haswell kernels, numpy's AVX2 loops), so that AVX2 and AVX-512 machines compute the same bits.
Arrays that go through LAPACK (QR spectra, eigenvalues) are compared by their sum to 1e-9
relative when the BLAS build differs from the one that made the digests (another OpenBLAS);
everything else must be identical bit for bit.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "golden"))
import make_golden  # noqa: E402

STORED = json.loads(make_golden.DIGESTS.read_text())


@pytest.fixture(scope="module")
def computed():
    """Every case's summaries, computed once in the reference numerics."""
    if not make_golden.reference_numerics_available():
        pytest.skip(make_golden.UNAVAILABLE)
    return make_golden.compute(sorted(make_golden.CASES))


@pytest.mark.parametrize("case", sorted(make_golden.CASES))
def test_case_reproduces_its_digests(case, computed):
    stored = STORED["cases"][case]
    got_case = computed[case]
    assert sorted(got_case) == sorted(stored), "the case's arrays changed"
    same_blas = computed["_blas"] == STORED["blas"]
    wrong = []
    for key, entry in stored.items():
        got = got_case[key]
        if got["sha256"] == entry["sha256"]:
            continue
        lapack = any(tag in key for tag in make_golden.LAPACK_KEYS)
        if lapack and not same_blas and got["shape"] == entry["shape"] and math.isclose(
                got.get("nansum", math.nan), entry.get("nansum", math.nan), rel_tol=1e-9):
            continue
        wrong.append(f"{key}: shape {got['shape']} vs {entry['shape']}, sum {got.get('nansum')} vs {entry.get('nansum')}")
    assert not wrong, "numbers changed:\n" + "\n".join(wrong)


def test_the_cases_run_in_the_reference_numerics(computed):
    """The subprocess really uses OpenBLAS's Haswell kernels (the digests' BLAS build names them)."""
    assert "Haswell" in computed["_blas"] and "Haswell" in STORED["blas"]


def test_digest_sees_one_bit():
    a = np.linspace(0.0, 1.0, 11)
    b = a.copy()
    b[3] = np.nextafter(b[3], 2.0)
    assert make_golden.digest(a) != make_golden.digest(b)
    assert make_golden.digest(a) != make_golden.digest(a.astype(np.float32))
