"""The multi-area model on NEST over MPI ranks against netdyn's engine at the same scale: the
same ``netdyn multiarea`` command, once with ``--backend nest`` under ``mpiexec -n R`` (a NEST
built with MPI, ``benchmarks/peers/build_nest_mpi.sh``) and once on netdyn's engine; then the
statistics side by side (network rate, the 254 population rates, LvR, correlation) and the
cost (build, simulation, peak memory per process).

Run: ``python benchmarks/multiarea_nest_mpi.py [--scale 0.02] [--t-sim-ms 1500] [--ranks 2]
[--out DIR]`` (scale 0.02, 2 ranks: ~3.5 min on 2 cores; NEST's memory estimate fits scales up
to ~0.08 on 24 GB).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np


def _peak_mb(stderr: str) -> float:
    found = re.findall(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    return max(int(k) for k in found) / 1024 if found else float("nan")


def run(cmd: list[str], env: dict[str, str]) -> float:
    done = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    return _peak_mb(done.stderr)


def flat(summary: dict, key: str) -> dict[str, float]:
    return {f"{a}/{p}": v for a, pops in summary[key].items() for p, v in pops.items() if v is not None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--t-sim-ms", type=float, default=1500.0)
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    peers = Path(os.environ.get("NETDYN_PEERS_DIR", Path.home() / ".cache" / "netdyn-peers"))
    nest_netdyn = peers / "nest-mpi" / "bin" / "netdyn"
    mpiexec = shutil.which("mpiexec")
    if not nest_netdyn.exists() or mpiexec is None:
        print(f"skipped: no NEST with MPI at {nest_netdyn} (benchmarks/peers/build_nest_mpi.sh) or no mpiexec")
        return 0
    out = args.out or Path(tempfile.mkdtemp(prefix="multiarea-nest-mpi-"))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYNEST_QUIET": "1"}
    common = ["--scale", str(args.scale), "--t-sim-ms", str(args.t_sim_ms)]
    flags = ["--oversubscribe"] + (["--allow-run-as-root"] if os.geteuid() == 0 else [])
    peak = {"nest": run([mpiexec] + flags + ["-n", str(args.ranks), str(nest_netdyn), "multiarea", *common,
                         "--backend", "nest", "--out", str(out / "nest")], env),
            "netdyn": run([str(Path(sys.executable).with_name("netdyn")), "multiarea", *common,
                           "--out", str(out / "netdyn")], env)}
    s = {k: json.loads((out / k / "summary.json").read_text()) for k in ("nest", "netdyn")}
    print(f"multi-area model, scale {args.scale}, {args.t_sim_ms:g} ms; NEST on {args.ranks} MPI ranks x 1 thread, "
          f"netdyn's engine on 1 thread")
    print(f"{'':22s} {'netdyn':>10s} {'NEST':>10s}")
    for label, key in (("network rate (Hz)", "network_rate_hz"), ("mean rate (Hz)", "mean_rate_hz")):
        print(f"{label:22s} {s['netdyn'][key]:10.3f} {s['nest'][key]:10.3f}")
    for stat in ("rates_hz", "lvr", "corrcoef"):
        a, b = flat(s["netdyn"], stat), flat(s["nest"], stat)
        keys = sorted(set(a) & set(b))
        x, y = np.array([a[k] for k in keys]), np.array([b[k] for k in keys])
        ok = np.isfinite(x) & np.isfinite(y)
        print(f"{stat + ' (mean)':22s} {x[ok].mean():10.4f} {y[ok].mean():10.4f}   r over {ok.sum()} populations "
              f"{np.corrcoef(x[ok], y[ok])[0, 1]:.3f}")
    t = {k: json.loads(s[k]["timing_s"]) if isinstance(s[k]["timing_s"], str) else s[k]["timing_s"] for k in s}
    for label, key in (("build (s)", "build"), ("simulation (s)", "run")):
        print(f"{label:22s} {t['netdyn'][key]:10.2f} {t['nest'][key]:10.2f}")
    print(f"{'peak memory (MB/proc)':22s} {peak['netdyn']:10.0f} {peak['nest']:10.0f}")
    print(f"outputs: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
