"""Digests of the numbers the studies and the integrators produce, at small sizes.

``python tests/golden/make_golden.py`` writes ``tests/golden/digests.json``;
``tests/test_golden.py`` recomputes every case and compares. A refactoring that must not
change a result (same seed, same numbers) keeps every digest; a change that alters numerics
on purpose regenerates the file in the same commit and says why.

Each case returns a dict of named numpy arrays; a digest is the SHA-256 of an array's dtype,
shape and bytes. The file also records a few summary numbers per array (shape, sum) so a
mismatch says where, and the BLAS build, since LAPACK-based quantities (QR spectra,
eigenvalues) may round differently on another CPU architecture.

The cases run in a subprocess with :data:`REFERENCE_NUMERICS`: OpenBLAS's Haswell kernels and
numpy's AVX2 loops, whatever wider SIMD the CPU has. An AVX-512 machine and an AVX2 one
otherwise differ in the last bits of BLAS products and of numpy's vectorised loops (chaotic
dynamics then amplify them); with it, every x86-64 CPU with AVX2 and FMA computes the same bits.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np

HERE = Path(__file__).resolve().parent
DIGESTS = HERE / "digests.json"


def digest(a: np.ndarray) -> str:
    """SHA-256 of an array's dtype, shape and bytes; labels (string arrays, whichever numpy
    string dtype holds them: object, unicode or StringDType) by their text."""
    a = np.ascontiguousarray(a)
    h = hashlib.sha256()
    if a.dtype.kind in "OUT":
        h.update(b"labels")
        h.update(str(a.shape).encode())
        h.update(repr([str(x) for x in a.ravel().tolist()]).encode())
    else:
        h.update(str(a.dtype).encode())
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _dataset_arrays(ds: Any, prefix: str = "") -> dict[str, np.ndarray]:
    out = {}
    for name in sorted(ds.variables):
        if name == "unit_completed":
            continue
        out[prefix + str(name)] = np.asarray(ds[name].values)
    return out


# ----------------------------------------------------------------------------- studies


def chaos_study(method: str) -> dict[str, np.ndarray]:
    from netdyn.config.chaos import ChaosConfig
    from netdyn.studies.chaos import run_chaos

    cfg = ChaosConfig(sessions=2, trials=3, gains=(1.0, 13.0, 22.0), n_neurons=60, duration_ms=600.0,
                      example_duration_ms=100.0, method=method, store_trial_divergence=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = run_chaos(cfg, tmp, workers=0, progress=False, figure=False)
        arrays = _dataset_arrays(out.dataset)
    return {k: v for k, v in arrays.items() if not k.startswith("example_edge")}


def srnn_basic(method: str) -> dict[str, np.ndarray]:
    from netdyn.config.srnn import SRNNBasicConfig
    from netdyn.studies.srnn import run_srnn_basic

    cfg = SRNNBasicConfig(t_start_s=-1.0, t_end_s=1.0, method=method, spectrum_exponents=None if method == "rk4" else 3)
    with tempfile.TemporaryDirectory() as tmp:
        out = run_srnn_basic(cfg, tmp, figure=False, progress=False)
        return _dataset_arrays(out.dataset)


def srnn_sweep() -> dict[str, np.ndarray]:
    from netdyn.config.srnn import SRNNSweepConfig
    from netdyn.studies.srnn import run_srnn_sweep

    cfg = SRNNSweepConfig(networks=2, n_units=30, weight_scales=(0.5, 2.0, 8.0), transient_s=0.5,
                          duration_s=1.0, spectrum_exponents=3)
    with tempfile.TemporaryDirectory() as tmp:
        out = run_srnn_sweep(cfg, tmp, workers=0, progress=False, figure=False)
        return _dataset_arrays(out.dataset)


def rsfs_single() -> dict[str, np.ndarray]:
    from netdyn.config.rsfs import RsfsConfig
    from netdyn.studies.rsfs import run_rsfs

    cfg = RsfsConfig(n_exc=400, n_inh=100, tstop_ms=400.0)
    with tempfile.TemporaryDirectory() as tmp:
        out = run_rsfs(cfg, tmp, figure=False, progress=False)
        from netdyn.io.hdf5 import read_recording

        rec = read_recording(out.recording)
    arrays: dict[str, np.ndarray] = {}
    for pop, s in sorted(rec.spikes.items()):
        arrays[f"spikes/{pop}/times_ms"] = np.asarray(s.times_ms)
        arrays[f"spikes/{pop}/senders"] = np.asarray(s.senders)
    for pop in sorted(rec.state):
        for var in sorted(rec.state[pop]):
            arrays[f"state/{pop}/{var}"] = np.asarray(rec.state[pop][var].values)
    for pop in sorted(rec.population_rates):
        arrays[f"rates/{pop}"] = np.asarray(rec.population_rates[pop].values)
    stats = out.stats
    arrays["summary/rates"] = np.array([[v if v is not None else np.nan for v in stats["rates_hz"][p].values()]
                                        for p in ("Exc", "Inh")])
    return arrays


def rsfs_seeds() -> dict[str, np.ndarray]:
    from netdyn.config.rsfs import RsfsConfig
    from netdyn.studies.rsfs import run_rsfs_seeds

    cfg = RsfsConfig(n_exc=400, n_inh=100, tstop_ms=400.0)
    with tempfile.TemporaryDirectory() as tmp:
        ds = run_rsfs_seeds(cfg, [3, 4], tmp, workers=0, progress=False)
        return _dataset_arrays(ds)


# ----------------------------------------------------------------------------- layers


def rate_engine() -> dict[str, np.ndarray]:
    from netdyn.connectivity import bernoulli_gaussian
    from netdyn.engines import integrate
    from netdyn.models import RateNetwork

    out: dict[str, np.ndarray] = {}
    w = bernoulli_gaussian(80, 0.2, 0.15, seed=3)
    r0 = np.random.default_rng(1).uniform(-1, 1, (80, 4))
    gain = np.array([0.5, 2.0, 5.0, 9.0])
    inp = 0.1 * np.sin(np.arange(80) * 0.3)
    for name, weights in (("sparse", w), ("dense", w.toarray())):
        for method in ("euler", "exp_euler", "rk4"):
            for backend in ("numba", "numpy"):
                for dtype in ("float64", "float32"):
                    net = RateNetwork(weights, tau_ms=10.0, phi="tanh", external_input=inp)
                    res = integrate(net, r0, duration_ms=200.0, dt_ms=0.5, gain=gain, method=method,
                                    backend=backend, dtype=dtype)
                    out[f"{name}/{method}/{backend}/{dtype}"] = res.state
    net = RateNetwork(w, tau_ms=10.0, phi=lambda x: np.tanh(x) + 0.01 * x)
    out["custom_phi/rk4"] = integrate(net, r0, duration_ms=100.0, dt_ms=0.5, gain=gain, method="rk4").state
    out["custom_phi/euler"] = integrate(net, r0, duration_ms=100.0, dt_ms=0.5, gain=gain, method="euler").state
    return out


def rate_lyapunov() -> dict[str, np.ndarray]:
    from netdyn.analysis import rate_benettin, rate_lyapunov_spectrum
    from netdyn.connectivity import bernoulli_gaussian
    from netdyn.models import RateNetwork

    out: dict[str, np.ndarray] = {}
    net = RateNetwork(bernoulli_gaussian(50, 0.2, 0.2, seed=5), tau_ms=10.0, phi="tanh")
    r0 = np.random.default_rng(2).uniform(-1, 1, (50, 2))
    for method in ("euler", "exp_euler", "rk4"):
        for dense in (False, True):
            est = rate_lyapunov_spectrum(net, r0, gain=[3.0, 8.0], dt_ms=0.5, duration_ms=200.0, transient_ms=50.0,
                                         n_exponents=4, qr_every_steps=5, method=method, seed=4,
                                         dense_jacobian=dense)
            out[f"spectrum/{method}/dense={dense}"] = est.exponents
            out[f"spectrum_state/{method}/dense={dense}"] = est.state
        ben = rate_benettin(net, r0, gain=[3.0, 8.0], dt_ms=0.5, method=method, renorm_interval_ms=5.0,
                            duration_ms=200.0, transient_ms=50.0, seed=4)
        out[f"benettin/{method}"] = ben.log_growth
    return out


def ode_engine() -> dict[str, np.ndarray]:
    from netdyn.analysis import ode_benettin, ode_lyapunov_spectrum
    from netdyn.engines import integrate_ode
    from netdyn.models.srnn import basic_example_network
    from netdyn.record import FullState

    out: dict[str, np.ndarray] = {}
    for phi in ("builtin", "callable"):
        net = basic_example_network("sfa+std", t_span_s=(-1.0, 1.0))
        if phi == "callable":
            import dataclasses

            net = dataclasses.replace(net, phi=lambda x: np.maximum(x, 0.0) + 0.0,
                                      phi_derivative=lambda x: (x > 0).astype(float))
        x0 = net.initial_state(3)
        x0[net.layout.u_d] = np.random.default_rng(0).uniform(0, 1, (net.n_units, 3))
        ws = {"weight_scale": np.array([0.5, 1.0, 3.0])}
        for method in ("rk4", "dopri5"):
            res = integrate_ode(net, x0, t0=-1.0, t1=1.0, dt=1e-3, method=method, observers=[FullState(every=50)],
                                params=ws, runaway_threshold=50.0)
            out[f"{phi}/{method}/state"] = res.state
            out[f"{phi}/{method}/record"] = res.records["state"].values
            out[f"{phi}/{method}/runaway_time"] = res.runaway_time
        ben = ode_benettin(net, x0, t0=-1.0, t1=1.0, dt=1e-3, lya_dt=0.0125, params=ws, seed=3,
                           runaway_threshold=50.0)
        out[f"{phi}/benettin"] = ben.log_growth
        qr = ode_lyapunov_spectrum(net, x0, t0=-1.0, t1=1.0, dt=1e-3, accumulate_from=0.0, qr_every=12,
                                   n_exponents=5, params=ws, seed=3, runaway_threshold=50.0)
        out[f"{phi}/qr"] = qr.exponents
        out[f"{phi}/qr_state"] = qr.state
    return out


def spiking_models() -> dict[str, np.ndarray]:
    from netdyn.studies.coba import coba_spec
    from netdyn.studies.microcircuit import microcircuit_spec
    from netdyn.engines.spiking import Network

    out: dict[str, np.ndarray] = {}
    for name, spec in (("coba", coba_spec(1000, seed=2)), ("microcircuit", microcircuit_spec(0.02, seed=2))):
        net = Network(spec)
        net.run(200.0, progress=False)
        rec = net.recording()
        for pop, s in sorted(rec.spikes.items()):
            out[f"{name}/{pop}/times_ms"] = np.asarray(s.times_ms)
            out[f"{name}/{pop}/senders"] = np.asarray(s.senders)
    return out


CASES: dict[str, Callable[[], dict[str, np.ndarray]]] = {
    "chaos_euler": lambda: chaos_study("euler"),
    "chaos_rk4": lambda: chaos_study("rk4"),
    "chaos_exp_euler": lambda: chaos_study("exp_euler"),
    "srnn_basic_rk4": lambda: srnn_basic("rk4"),
    "srnn_basic_dopri5": lambda: srnn_basic("dopri5"),
    "srnn_sweep": srnn_sweep,
    "rsfs_single": rsfs_single,
    "rsfs_seeds": rsfs_seeds,
    "rate_engine": rate_engine,
    "rate_lyapunov": rate_lyapunov,
    "ode_engine": ode_engine,
    "spiking_models": spiking_models,
}

#: Arrays that go through LAPACK (QR, eigenvalues): compared to 1e-9 relative where the
#: BLAS build differs from the one the digests were made with.
LAPACK_KEYS = ("spectrum", "lle_qr", "max_re_eig", "qr")


def blas_build() -> str:
    from threadpoolctl import threadpool_info

    info = [f"{d.get('internal_api')}:{d.get('version')}:{d.get('architecture')}" for d in threadpool_info()
            if d.get("user_api") == "blas"]
    return ";".join(sorted(info))


def summarise(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    out = {}
    for k, a in arrays.items():
        dtype = np.asarray(a).dtype
        entry: dict[str, Any] = {"sha256": digest(a), "shape": list(np.shape(a)),
                                 "dtype": "labels" if dtype.kind in "OUT" else str(dtype)}
        if np.asarray(a).dtype.kind in "fiub":
            entry["nansum"] = float(np.nansum(np.asarray(a, dtype=np.float64)))
        out[k] = entry
    return out


REFERENCE_NUMERICS = {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_NUM_THREADS": "1",
                      "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"}
"""The environment the digests are computed in (x86-64-v3 numerics; see the module docstring)."""

UNAVAILABLE = "the digests hold x86-64-v3 numerics (AVX2, FMA), which this CPU cannot compute"


def reference_numerics_available() -> bool:
    """Whether this CPU runs :data:`REFERENCE_NUMERICS`: x86-64 with AVX2 and FMA."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        flags = next(line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags"))
    except (OSError, StopIteration):
        return False
    return {"avx2", "fma"} <= set(flags.split(":", 1)[1].split())


def compute(names: list[str]) -> dict[str, Any]:
    """The summaries of the cases ``names`` (case -> array -> summary), computed in a subprocess
    with :data:`REFERENCE_NUMERICS` (the numerics the digests hold), and under ``"_blas"`` the
    subprocess's BLAS build (:func:`blas_build`)."""
    env = {**os.environ, **REFERENCE_NUMERICS}
    run = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--print", *names], env=env,
                         capture_output=True, text=True, cwd=HERE.parents[1])
    if run.returncode != 0:
        raise RuntimeError(f"the golden cases failed in their subprocess:\n{run.stderr[-6000:]}")
    return json.loads(run.stdout.splitlines()[-1])


def main(argv: list[str]) -> int:
    if argv[:1] == ["--print"]:  # the subprocess of compute(): one line of JSON
        names = argv[1:] or list(CASES)
        summaries = {name: summarise(CASES[name]()) for name in names}
        print(json.dumps({**summaries, "_blas": blas_build()}))
        return 0
    if not reference_numerics_available():
        print(UNAVAILABLE, file=sys.stderr)
        return 1
    names = argv or list(CASES)
    data = json.loads(DIGESTS.read_text()) if DIGESTS.exists() else {"cases": {}}
    print(f"{', '.join(names)} ...", flush=True)
    computed = compute(names)
    data["blas"] = computed.pop("_blas")
    data["cases"].update(computed)
    data["numpy"] = np.__version__
    DIGESTS.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
