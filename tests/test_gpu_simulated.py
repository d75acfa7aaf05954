"""The GPU back-end on machines without a GPU: its kernels in numba's CUDA simulator, and the
one clear error when no GPU is there."""

from __future__ import annotations

import importlib
import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from netdyn.errors import ConfigError, MemoryEstimateError

GPU_TESTS = Path(__file__).parent / "gpu"


def _gpu_present() -> bool:
    try:
        from numba import cuda

        return bool(cuda.is_available())
    except Exception:
        return False


def _simulate(directory: Path, selection: str):
    """tests/gpu's tests that ``selection`` (a ``-m`` expression) picks, in numba's CUDA simulator,
    in a subprocess, with a spy on the kernel launches (tests/gpu/signature_spy.py):
    ``(completed process, the distinct (module, kernel, argument types) launched)``."""
    signatures = directory / "signatures.pkl"
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1", "NETDYN_KERNEL_SIGNATURES": str(signatures),
           "PYTHONPATH": os.pathsep.join([str(GPU_TESTS), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "signature_spy",
                          "-m", selection, str(GPU_TESTS)], env=env, capture_output=True, text=True, timeout=1800)
    launched = pickle.loads(signatures.read_bytes()) if signatures.exists() else []
    return run, launched


@pytest.fixture(scope="module")
def simulator_quick(tmp_path_factory):
    """The default selection: every kernel in both launch modes (not the slow, GPU-only tests,
    nor the ``simulator_slow`` ones)."""
    return _simulate(tmp_path_factory.mktemp("gpu"), "not slow and not simulator_slow")


@pytest.fixture(scope="module")
def simulator_run(tmp_path_factory):
    """All of tests/gpu but the slow, GPU-only tests."""
    return _simulate(tmp_path_factory.mktemp("gpu"), "not slow")


def _all_passed(run, at_least: int) -> None:
    tail = run.stdout[-6000:] + run.stderr[-3000:]
    assert run.returncode == 0, tail
    summary = run.stdout.strip().splitlines()[-1]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) >= at_least, summary
    assert "skipped" not in summary and "failed" not in summary and "error" not in summary, summary


def test_gpu_kernels_agree_with_the_cpu_engines_in_the_cuda_simulator(simulator_quick):
    """tests/gpu's default selection in numba's CUDA simulator (the rate and spiking kernels in
    both launch modes, stored and procedural synapses, the instability errors, the fallback from
    a failed cooperative launch): every test runs, none is skipped."""
    run, launched = simulator_quick
    _all_passed(run, at_least=12)
    names = {name for _, name, _ in launched}
    assert {"relax_persistent", "relax_one", "steps_persistent", "step_a", "step_b"} <= names, names


@pytest.mark.slow
def test_every_gpu_test_passes_in_the_cuda_simulator(simulator_run):
    """All of tests/gpu in the simulator, with the variants the default suite leaves out (other
    transfer functions and float32, procedural delay windows, a growing spike record,
    checkpoints, the chaos study and the bench record on the GPU)."""
    run, _ = simulator_run
    _all_passed(run, at_least=20)


def _nvvm_loads() -> bool:
    code = "from numba.cuda.cudadrv.nvvm import NVVM; NVVM()"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120).returncode == 0


def _nvjitlink_links() -> bool:
    """Whether NVIDIA's nvJitLink links here without a GPU, through ``cuda.core`` (the linker
    numba-cuda loads every kernel with)."""
    try:
        from cuda.core import Linker

        return "nvjitlink" in str(Linker.which_backend()).lower()
    except (ImportError, AttributeError):  # no cuda.core, or one older than which_backend
        return False


def _link_for_hopper(ptx: str, name: str, workdir: Path) -> str | None:
    """Assemble ``ptx`` for compute capability 9.0 and link it with the CUDA device runtime that
    numba finds (``libcudadevrt.a``), as when a kernel is loaded for a launch; return the
    assembler's report of every function's resources, or None where no tool for it is installed.

    numba-cuda links with nvJitLink, so that is the tool where it is installed (its PTX can be
    newer than what a system-wide ``ptxas`` reads); otherwise ``ptxas`` and ``nvlink`` from the
    PATH. A failed link (an undefined device-runtime symbol) fails the calling test."""
    import shutil

    from numba.cuda.cudadrv import libs

    devrt = libs.get_cudalib("cudadevrt", static=True)
    if _nvjitlink_links():
        from cuda.core import Linker, LinkerOptions, ObjectCode

        objects = [ObjectCode.from_ptx(ptx.encode(), name=name),
                   ObjectCode.from_library(Path(devrt).read_bytes(), name="cudadevrt")]
        linker = Linker(*objects, options=LinkerOptions(arch="sm_90", verbose=True))
        linker.link("cubin")
        return linker.get_info_log()
    if not shutil.which("ptxas"):
        return None
    source, relocatable = workdir / f"{name}.ptx", workdir / f"{name}.o"
    source.write_text(ptx)
    run = subprocess.run(["ptxas", "-arch=sm_90", "-c", "-v", str(source), "-o", str(relocatable)],
                         capture_output=True, text=True, timeout=300)
    report = run.stdout + run.stderr
    if "Unsupported .version" in report:
        pytest.skip(f"this ptxas is older than the PTX numba's NVVM writes: {report.strip()[-200:]}")
    assert run.returncode == 0, (name, report[-3000:])
    if shutil.which("nvlink"):
        run = subprocess.run(["nvlink", "-arch=sm_90", str(relocatable), devrt, "-o", str(workdir / f"{name}.cubin")],
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, (name, (run.stdout + run.stderr)[-3000:])
    return report


@pytest.mark.slow
@pytest.mark.skipif(not _nvvm_loads(), reason="NVIDIA's NVVM library is not found by numba")
def test_every_kernel_compiles_for_the_gpu_with_the_types_it_is_given(simulator_run, monkeypatch, tmp_path):
    """The simulator runs kernels as Python, which accepts code that the CUDA target refuses (a
    NumPy function without a CUDA implementation, a typing conflict): every kernel, with every
    argument signature the engines launched it with above, compiles to PTX for compute
    capability 9.0 (Hopper). The persistent kernels call the grid barrier, which the CUDA device
    runtime resolves when a kernel is loaded for a cooperative launch: where an assembler and
    linker are installed (nvJitLink, as numba-cuda uses, or ``ptxas`` and ``nvlink``), every
    kernel is assembled and linked with the device runtime numba finds into one Hopper binary,
    without spilling registers to local memory. Needs NVIDIA's NVVM library (a CUDA toolkit, or
    numba-cuda's CUDA wheels), not a GPU."""
    from numba import cuda

    _, launched = simulator_run
    names = {name for _, name, _ in launched}
    assert {"relax_persistent", "relax_one", "steps_persistent", "step_a", "step_b"} <= names, names
    if not cuda.is_available():  # device functions ask the current device for its compute capability
        import numba.cuda.api
        import numba.cuda.dispatcher

        hopper = SimpleNamespace(compute_capability=(9, 0))
        monkeypatch.setattr(numba.cuda.api, "get_current_device", lambda: hopper)
        monkeypatch.setattr(numba.cuda.dispatcher, "get_current_device", lambda: hopper)
    for module, name, signature in launched:
        kernel = getattr(importlib.import_module(module), name)
        ptx, _ = cuda.compile_ptx(kernel.py_func, signature, cc=(9, 0))
        assert ".entry" in ptx, (name, signature)
        if name.endswith("_persistent"):
            assert "cudaCGSynchronize" in ptx, name
        report = _link_for_hopper(ptx, name, tmp_path)
        if report is not None:  # ptxas: "N bytes spill stores"; nvJitLink: "N bytes lmem"
            local = [int(n) for n in re.findall(r"(\d+) bytes (?:spill stores|lmem)", report)]
            assert local and not any(local) and "registers" in report, (name, signature, report[-3000:])


@pytest.mark.skipif(_gpu_present(), reason="a GPU is present")
def test_no_gpu_is_one_error_naming_the_backend():
    from netdyn.engines import integrate
    from netdyn.engines.spiking.network import Network
    from netdyn.models import RateNetwork
    from netdyn.studies.coba import coba_spec

    with pytest.raises(ConfigError, match="backend='gpu'.*no CUDA GPU"):
        Network(coba_spec(100), backend="gpu")
    # asked before anything is built: these 8e10 synapses would be refused for their memory
    dense = coba_spec(400_000).model_dump()
    for proj in dense["projections"]:
        proj["rule"]["p"] = 0.5
    with pytest.raises(MemoryEstimateError):
        Network(dense)
    with pytest.raises(ConfigError, match="backend='gpu'.*no CUDA GPU"):
        Network(dense, backend="gpu")
    with pytest.raises(ConfigError, match="backend='gpu'.*no CUDA GPU"):
        integrate(RateNetwork(np.eye(3), tau_ms=10.0, phi="tanh"), np.zeros(3), duration_ms=1.0, backend="gpu")


@pytest.mark.skipif(_gpu_present(), reason="a GPU is present")
def test_chaos_cli_without_gpu_exits_2_and_writes_nothing(tmp_path, capsys):
    from netdyn.cli import main

    assert main(["chaos", "--backend", "gpu", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "invalid backend='gpu': no CUDA GPU" in err and err.count("\n") == 1, err
    assert list(tmp_path.iterdir()) == []


def _gpu_benchmark(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    """benchmarks/gpu.py --quick in numba's CUDA simulator: (the process, its JSON)."""
    out = tmp_path / "gpu_benchmark.json"
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}
    script = Path(__file__).parents[1] / "benchmarks" / "gpu.py"
    run = subprocess.run([sys.executable, str(script), "--quick", "--threads", "2", "--out", str(out), *args],
                         env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run, json.loads(out.read_text())


def test_gpu_benchmark_past_its_deadline_starts_no_row(tmp_path):
    run, data = _gpu_benchmark(tmp_path, "--cases", "coba,chaos", "--deadline-s", "0")
    assert data["complete"] and data["goals"] == []
    # every GPU row before the CPU's, in the order of --cases; none of them ran
    assert [(r["case"], r["backend"]) for r in data["rows"]] == [
        ("coba", "gpu"), ("chaos", "gpu"), ("coba", "cpu[2 thr]"), ("chaos", "cpu[2 thr]")]
    assert all(r["skipped"].startswith("deadline") and "run_s" not in r for r in data["rows"])
    assert "| coba | N=100 bernoulli | gpu | skipped: deadline" in run.stdout


@pytest.mark.slow
def test_gpu_benchmark_quick_run_has_the_same_spikes_on_both_backends(tmp_path):
    run, data = _gpu_benchmark(tmp_path)
    rows = {(r["case"], r["backend"]): r for r in data["rows"]}
    assert [r["backend"] for r in data["rows"]] == ["gpu"] * 3 + ["cpu[2 thr]"] * 3
    assert data["complete"] and not any("error" in r or "skipped" in r for r in data["rows"])
    for case in ("microcircuit", "coba"):
        gpu, cpu = rows[case, "gpu"], rows[case, "cpu[2 thr]"]
        assert gpu["spikes"] > 0 and {p: v["spikes"] for p, v in gpu["populations"].items()} == {
            p: v["spikes"] for p, v in cpu["populations"].items()}
    assert rows["chaos", "gpu"]["trajectories"] == rows["chaos", "cpu[2 thr]"]["trajectories"] == 4
    assert any(line.startswith("microcircuit k=0.002 on the GPU: RTF") for line in data["goals"])
