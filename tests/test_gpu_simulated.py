"""The GPU back-end on machines without a GPU: its kernels in numba's CUDA simulator, and the
one clear error when no GPU is there."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from netdyn.errors import ConfigError

GPU_TESTS = Path(__file__).parent / "gpu"


def _gpu_present() -> bool:
    try:
        from numba import cuda

        return bool(cuda.is_available())
    except Exception:
        return False


def test_gpu_kernels_agree_with_the_cpu_engines_in_the_cuda_simulator():
    """tests/gpu (rate and spiking engines, both launch modes) in numba's CUDA simulator: every
    test runs, none is skipped (the slow ones, for a real GPU, are deselected)."""
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow",
                          str(GPU_TESTS)],
                         env=env, capture_output=True, text=True, timeout=1200)
    tail = run.stdout[-6000:] + run.stderr[-3000:]
    assert run.returncode == 0, tail
    summary = run.stdout.strip().splitlines()[-1]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) >= 23, summary
    assert "skipped" not in summary and "failed" not in summary and "error" not in summary, summary


@pytest.mark.skipif(_gpu_present(), reason="a GPU is present")
def test_no_gpu_is_one_error_naming_the_backend():
    from netdyn.engines import integrate
    from netdyn.engines.spiking.network import Network
    from netdyn.models import RateNetwork
    from netdyn.studies.coba import coba_spec

    with pytest.raises(ConfigError, match="backend='gpu'.*no CUDA GPU"):
        Network(coba_spec(100), backend="gpu")
    with pytest.raises(ConfigError, match="backend='gpu'.*no CUDA GPU"):
        integrate(RateNetwork(np.eye(3), tau_ms=10.0, phi="tanh"), np.zeros(3), duration_ms=1.0, backend="gpu")


@pytest.mark.skipif(_gpu_present(), reason="a GPU is present")
def test_chaos_cli_without_gpu_exits_2_and_writes_nothing(tmp_path, capsys):
    from netdyn.cli import main

    assert main(["chaos", "--backend", "gpu", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "invalid backend='gpu': no CUDA GPU" in err and err.count("\n") == 1, err
    assert list(tmp_path.iterdir()) == []
