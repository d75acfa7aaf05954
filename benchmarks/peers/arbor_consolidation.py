"""Arbor peer of netdyn's ``consolidation`` study: runs the reference Arbor implementation of
memory consolidation by synaptic tagging and capture (Luboeinski & Tetzlaff 2021, Commun Biol
4:275; repository jlubo/arbor_network_consolidation, commit f908049, Apache-2.0) on its named
protocols, measures their cost and parses their outputs.

Runs under the interpreter of the peers' venv that holds Arbor
(``$NETDYN_PEERS_DIR/nest/bin/python``, ``pip install arbor==0.12.2``); numpy only otherwise.
The peer's code is not copied into netdyn: this script copies the patched peer folder
(``$NETDYN_ARBOR_CONSOLIDATION_SRC``, default ``/work/shared/peers/arbor_consolidation``; see
its PEER_README.md for the five patches) into a work folder (``--workdir``, default
``$NETDYN_PEERS_DIR/arbor_consolidation_run``), builds the custom mechanism catalogue there
once (``arbor-build-catalogue custom mechanisms``, rebuilt when the ``.mod`` files' hash or the
Arbor version changes) and starts ``arborNetworkConsolidation.py`` for each run in a fresh
sub-folder ``runs/<protocol>_<n>/`` (the peer writes ``data_<timestamp> <desc>/`` into its
current directory and reads the catalogue and connectivity files from there, which are
linked in). Plots are switched off (``-plot=0``), so the costs are simulation + text output.

Protocols (command lines of the repository's ``run_*`` scripts, plus ``-plot=0``):

* ``basic_early_det``: smallnet2, ``config_smallnet2_basic_early_det.json -output_period=1
  -sample_curr=1`` (sigma_pl = 0; explicit spikes of neuron 0 at 10, 20, ..., 60, 100 ms).
* ``basic_early``: the same with ``config_smallnet2_basic_early.json`` (sigma_pl = 2.90436 mV).
* ``single_psp``: ``basic_early_det`` with one explicit spike of neuron 0 at 10 ms, 50 ms
  (``-learn=... -runtime=0.05``): the PSP of neuron 1.
* ``basic_late``: ``config_smallnet2_basic_late.json -sample_curr=1`` (8 h: 4 h RECT drive
  detailed, then fast-forward; ~140-350 CPU-s).
* ``smallnet3_10s`` / ``smallnet3_8h``: ``config_smallnet3_det.json -dt=0.2 -sample_curr=0``,
  TRIPLET at 10 s, ONEPULSE at 20 s / 28810 s, runtime 25 s / 28820 s.
* ``defaultnet_10s``: ``config_defaultnet-like.json -N_CA=<--n-ca> -runtime=25
  -output_period=10``, ONEPULSE recall at 20 s (2000 neurons; ~35-50 CPU-minutes at N_CA 150).

Per run it prints one JSON line: ``cpu_s`` (user + sys of the child, from ``os.wait4``),
``wall_s``, ``peak_rss_mb`` (the peer's ``ru_maxrss``, through a small launcher process:
see ``_LAUNCHER``), ``peak_vmhwm_sampled_mb`` (VmHWM of ``/proc/<pid>/status`` sampled every
50 ms, a cross-check), spike counts per neuron (small networks)
or per population, Q and MI for ``defaultnet_10s`` (as Luboeinski & Tetzlaff 2021 define them), and
the run folder.

Trace files (``*_traces.txt``, written by the peer with 4 decimals): column 0 is the time in
ms; then, for every entry k of the config's ``sample_gid_list``/``sample_pre_list``, seven
columns: V (mV) and I (nA: total membrane current if ``-sample_curr=0``, else the OU current
of that instance) of neuron ``sample_gid[k]``, then h (mV), z*h_0 (mV), Ca, spsV (mV) and pc
(umol/l, the postsynaptic neuron's protein) of synapse ``sample_pre[k] -> sample_gid[k]``
(zeros when ``sample_pre[k]`` is -1). The times are Arbor's step times: within every epoch
of half the minimum delay the step is 0.2 ms except for one 0.1- or 0.3-ms step, so they are
not all multiples of 0.2 ms; later phases are re-based onto the end of the previous one.

``--reference-out FILE`` runs every protocol needed for ``tests/data/consolidation_arbor_
reference.json`` (or re-uses finished run folders given with ``--reuse PROTOCOL=DIR``) and
writes that file. Exit status 0 with a skip message when Arbor cannot be imported.

Usage: ``python arbor_consolidation.py --protocol smallnet3_10s --runs 3 --json``
"""

from __future__ import annotations

import argparse
import datetime as _dt
import glob
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from _common import finite_or_none, print_json  # noqa: E402

PEER_COMMIT = "f908049"
PEER_REPO = "jlubo/arbor_network_consolidation"
DEFAULT_SRC = "/work/shared/peers/arbor_consolidation"
H0 = 4.20075  # mV, h_0 of every config
SCRIPT = "arborNetworkConsolidation.py"
TRIPLET_10S = '{"time_start": 10, "scheme": "TRIPLET", "freq": 100, "N_stim": 25}'

PATCHES = [
    "mechanisms/expsyn_curr_early_late_plasticity{,_ff}.mod: the write to the protein-synthesis signal no "
    "longer multiplies by area/1000 (Arbor >= 0.11 no longer scales point-mechanism writes to a diffusive "
    "concentration; unpatched, late-phase plasticity is silently off)",
    "arborNetworkConsolidation.py: synaptic and calcium delays are at least 2*dt (Arbor >= 0.11; changes "
    "nothing in the spike-free fast-forward phases)",
    "arborNetworkConsolidation.py: spikes recorded with spike_recording.local (all misses neurons without "
    "outgoing connections in 0.12; one process)",
    "extract/analysis/*.py: np.in1d -> np.isin (numpy 2.4)",
    "arborNetworkConsolidation.py: recording `git show` into the run folder no longer fails outside a git "
    "repository",
]


def protocol_args(name: str, n_ca: int = 150) -> list[str]:
    """Arguments of ``arborNetworkConsolidation.py`` for a named protocol (from the run_* scripts)."""
    if name == "basic_early_det":
        return ["-config_file=config_smallnet2_basic_early_det.json", "-output_period=1", "-sample_curr=1"]
    if name == "basic_early":
        return ["-config_file=config_smallnet2_basic_early.json", "-output_period=1", "-sample_curr=1"]
    if name == "single_psp":
        learn = json.dumps({"time_start": 0, "scheme": "EXPLICIT", "freq": 0,
                            "explicit_input": {"receivers": [0], "stim_times": [10]}})
        return ["-config_file=config_smallnet2_basic_early_det.json", "-output_period=1", "-sample_curr=1",
                "-runtime=0.05", f"-learn={learn}", "-s_desc=single PSP det"]
    if name == "basic_late":
        return ["-config_file=config_smallnet2_basic_late.json", "-sample_curr=1"]
    if name in ("smallnet3_10s", "smallnet3_8h"):
        long = name == "smallnet3_8h"
        recall = json.dumps({"time_start": 28810 if long else 20, "scheme": "ONEPULSE", "freq": 100, "N_stim": 25})
        desc = f"smallnet3 det, dt=0.2ms, {'8h' if long else '10s'}, with recall"
        return [f"-runtime={28820 if long else 25}", f"-learn={TRIPLET_10S}", f"-recall={recall}",
                f"-s_desc={desc}", "-dt=0.2", "-config_file=config_smallnet3_det.json", "-sample_curr=0"]
    if name == "defaultnet_10s":
        recall = json.dumps({"time_start": 20, "scheme": "ONEPULSE", "freq": 100, "N_stim": 25})
        return [f"-s_desc=net CA{n_ca} 10s-recall", f"-N_CA={n_ca}", "-runtime=25", f"-recall={recall}",
                "-config_file=config_defaultnet-like.json", "-output_period=10"]
    raise ValueError(f"unknown protocol {name!r}")


PROTOCOLS = ["basic_early_det", "basic_early", "single_psp", "basic_late", "smallnet3_10s", "smallnet3_8h",
             "defaultnet_10s"]


# ----------------------------------------------------------------------------------------------
# the work folder and the catalogue

def _hash_files(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def prepare_workdir(src: Path, workdir: Path, arbor_version: str) -> Path:
    """Copy the peer folder into ``workdir/peer`` (when its files changed) and build its catalogue
    (when the .mod files or the Arbor version changed). Returns ``workdir/peer``."""
    peer = workdir / "peer"
    src_files = [p for p in src.rglob("*") if p.is_file() and not p.name.startswith("data_")]
    src_hash = _hash_files(src_files)
    stamp = peer / ".netdyn_src_hash"
    if not stamp.exists() or stamp.read_text() != src_hash:
        if peer.exists():
            shutil.rmtree(peer)
        shutil.copytree(src, peer, ignore=shutil.ignore_patterns("data_*", "*.so", "__pycache__"))
        for p in [peer, *peer.rglob("*")]:
            p.chmod(p.stat().st_mode | 0o200)
        stamp.write_text(src_hash)
    mod_hash = _hash_files(list((peer / "mechanisms").glob("*.mod"))) + "-arbor" + arbor_version
    cat_stamp = peer / ".netdyn_catalogue_hash"
    if not (peer / "custom-catalogue.so").exists() or not cat_stamp.exists() or cat_stamp.read_text() != mod_hash:
        bindir = Path(sys.executable).parent
        env = dict(os.environ, PATH=f"{bindir}:{os.environ.get('PATH', '')}")
        builder = shutil.which("arbor-build-catalogue", path=env["PATH"])
        if builder is None:
            raise RuntimeError(f"arbor-build-catalogue not found beside {sys.executable}")
        proc = subprocess.run([builder, "custom", "mechanisms"], cwd=peer, env=env, capture_output=True, text=True)
        if proc.returncode != 0 or not (peer / "custom-catalogue.so").exists():
            raise RuntimeError(f"arbor-build-catalogue failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
        cat_stamp.write_text(mod_hash)
    return peer


def new_run_dir(workdir: Path, protocol: str, peer: Path) -> Path:
    """A fresh ``runs/<protocol>_<n>`` folder with the peer's top-level files linked in."""
    runs = workdir / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    n = 0
    while (runs / f"{protocol}_{n:03d}").exists():
        n += 1
    rd = runs / f"{protocol}_{n:03d}"
    rd.mkdir()
    for p in peer.iterdir():
        if p.is_file() and not p.name.startswith("."):
            (rd / p.name).symlink_to(p)
    return rd


# ----------------------------------------------------------------------------------------------
# running one protocol with its cost

#: A small launcher between this script and the peer. ``ru_maxrss`` of a child on Linux is at
#: least the resident set of the process it was forked from (the parent's high-water mark is
#: carried through ``exec``), so forking the peer from this script after it has parsed a large
#: trace file would report this script's memory. The launcher (~10 MiB) forks the peer, waits
#: for it with ``os.wait4`` and writes the peer's own rusage as JSON to the file in argv[1].
_LAUNCHER = """
import json, os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, ru = os.wait4(pid, 0)
with open(sys.argv[1], "w") as fh:
    json.dump({"pid": pid, "exit": os.waitstatus_to_exitcode(status), "utime": ru.ru_utime, "stime": ru.ru_stime,
               "maxrss_kb": ru.ru_maxrss}, fh)
"""


class _RssSampler(threading.Thread):
    """Samples VmHWM / VmRSS of the launcher's child (the peer) from /proc every ``interval_s``."""

    def __init__(self, launcher_pid: int, interval_s: float = 0.05):
        super().__init__(daemon=True)
        self.launcher_pid, self.interval_s = launcher_pid, interval_s
        self.peak_hwm_kb, self.peak_rss_kb, self.n = 0, 0, 0
        self.stop = threading.Event()

    def _child(self):
        try:
            kids = Path(f"/proc/{self.launcher_pid}/task/{self.launcher_pid}/children").read_text().split()
            return int(kids[0]) if kids else None
        except OSError:
            return None

    def run(self):
        pid = None
        while not self.stop.is_set():
            pid = pid or self._child()
            if pid is not None:
                try:
                    with open(f"/proc/{pid}/status") as fh:
                        for line in fh:
                            if line.startswith("VmHWM:"):
                                self.peak_hwm_kb = max(self.peak_hwm_kb, int(line.split()[1]))
                            elif line.startswith("VmRSS:"):
                                self.peak_rss_kb = max(self.peak_rss_kb, int(line.split()[1]))
                    self.n += 1
                except (OSError, ValueError):
                    pass
            self.stop.wait(self.interval_s)


def run_protocol(protocol: str, peer: Path, workdir: Path, n_ca: int = 150, nice: int = 0,
                 timeout_s: float | None = None) -> dict:
    """Run one protocol in a fresh folder; returns the cost and the run folder."""
    rd = new_run_dir(workdir, protocol, peer)
    args = [*protocol_args(protocol, n_ca), "-plot=0"]
    cost_file = rd / "rusage.json"
    cmd = [sys.executable, "-c", _LAUNCHER, str(cost_file), sys.executable, str(peer / SCRIPT), *args]
    log = open(rd / "stdout.txt", "w")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=rd, stdout=log, stderr=subprocess.STDOUT,
                            preexec_fn=(lambda: os.nice(nice)) if nice else None)
    sampler = _RssSampler(proc.pid)
    sampler.start()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        child = sampler._child()
        if child:
            os.kill(child, 9)
        proc.wait()
    wall = time.perf_counter() - t0
    sampler.stop.set()
    sampler.join()
    log.close()
    ru = json.loads(cost_file.read_text()) if cost_file.exists() else {}
    data = sorted(d for d in rd.glob("data_*") if d.is_dir())
    traces = glob.glob(str(data[0] / "*_traces.txt")) if data else []
    error = None
    if proc.returncode != 0 or ru.get("exit", 1) != 0:
        error = f"exit status {ru.get('exit', proc.returncode)}"
    elif not traces or glob.glob(str(data[0] / "*_errorlog.txt")):
        error = "no traces written (see stdout.txt / *_errorlog.txt)"
    record = {
        "protocol": protocol,
        "n_ca": n_ca if protocol == "defaultnet_10s" else None,
        "cpu_s": ru.get("utime", float("nan")) + ru.get("stime", float("nan")),
        "user_s": ru.get("utime"),
        "sys_s": ru.get("stime"),
        "wall_s": wall,
        "peak_rss_mb": ru.get("maxrss_kb", float("nan")) / 1024.0,
        "peak_vmhwm_sampled_mb": sampler.peak_hwm_kb / 1024.0,
        "command": "python " + SCRIPT + " " + " ".join(_shell_quote(a) for a in args),
        "run_dir": str(rd),
        "data_dir": str(data[0]) if data else None,
        "error": error,
    }
    (rd / "cost.json").write_text(json.dumps(finite_or_none(
        {k: record[k] for k in ("cpu_s", "user_s", "sys_s", "wall_s", "peak_rss_mb", "peak_vmhwm_sampled_mb",
                                "command", "n_ca")})))
    return record


def _shell_quote(arg: str) -> str:
    if "=" in arg and any(c in arg for c in " {\"',"):
        key, val = arg.split("=", 1)
        return f"{key}='{val}'"
    return arg


# ----------------------------------------------------------------------------------------------
# parsing the outputs

def read_traces(data_dir: str | Path) -> dict:
    """The run's traces: ``t_ms`` and, per sample k, dict(post, pre, V, I, h, z_mV, Ca, spsV, pc)."""
    path = glob.glob(str(Path(data_dir) / "*_traces.txt"))[0]
    with open(path) as fh:
        header = fh.readline().lstrip("#").strip()
    names = [m.group(0) for m in re.finditer(r"[A-Za-z^]+(?:\([-\d,]*\))?", header)]
    arr = np.loadtxt(path, ndmin=2)
    if arr.shape[1] != len(names) or names[0] != "Time" or (len(names) - 1) % 7:
        raise ValueError(f"unexpected trace header {names[:10]} for {arr.shape[1]} columns")
    samples = []
    for k in range((len(names) - 1) // 7):
        c = 1 + 7 * k
        post = int(names[c][2:-1])
        pre = int(names[c + 2][2:-1].split(",")[0])
        cols = {key: arr[:, c + j] for j, key in enumerate(["V", "I", "h", "z_mV", "Ca", "spsV", "pc"])}
        samples.append({"post": post, "pre": pre, **cols})
    return {"t_ms": arr[:, 0], "samples": samples, "header": names}


def read_spikes(data_dir: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(times in ms, gids) of every spike, as written (4 decimals)."""
    path = glob.glob(str(Path(data_dir) / "*_spikes.txt"))[0]
    arr = np.loadtxt(path, ndmin=2)
    if arr.size == 0:
        return np.zeros(0), np.zeros(0, dtype=int)
    return arr[:, 0], arr[:, 1].astype(int)


def read_config(data_dir: str | Path) -> dict:
    return json.loads(Path(glob.glob(str(Path(data_dir) / "*_config.json"))[0]).read_text())


def spike_counts(times: np.ndarray, gids: np.ndarray, n: int, t0_ms: float, t1_ms: float) -> list[int]:
    keep = (times >= t0_ms) & (times < t1_ms)
    return np.bincount(gids[keep], minlength=n)[:n].astype(int).tolist()


def _entropy(values: np.ndarray) -> float:
    _, counts = np.unique(values, axis=0, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


def recall_quality(times: np.ndarray, gids: np.ndarray, n_exc: int, n_inh: int, n_ca: int, p_r: float,
                   t_learn_ms: float, t_recall_ms: float) -> dict:
    """Q and MI as Luboeinski & Tetzlaff (2021) define them (rates in [t - 250, t + 250) ms / 0.5 s; MI from np.unique)."""
    def rates(t):
        keep = (times >= t - 250.0) & (times < t + 250.0)
        return np.bincount(gids[keep], minlength=n_exc + n_inh)[: n_exc + n_inh] / 0.5
    r_l, r_r = rates(t_learn_ms), rates(t_recall_ms)
    n_as = int(p_r * n_ca)
    as_, ans, ctrl, inh = r_r[:n_as], r_r[n_as:n_ca], r_r[n_ca:n_exc], r_r[n_exc:]
    nu_as, nu_ans, nu_ctrl = as_.mean(), ans.mean(), ctrl.mean()
    q = (nu_ans - nu_ctrl) / nu_as
    sq = np.sqrt((ans.std() / nu_as) ** 2 + (ctrl.std() / nu_as) ** 2
                 + (as_.std() * (nu_ans - nu_ctrl) / nu_as**2) ** 2)
    el, er = r_l[:n_exc], r_r[:n_exc]
    h_l, h_r, h_lr = _entropy(el), _entropy(er), _entropy(np.column_stack([el, er]))
    return {"nu_as_hz": nu_as, "nu_ans_hz": nu_ans, "nu_ctrl_hz": nu_ctrl, "nu_inh_hz": inh.mean() if n_inh else None,
            "nu_exc_hz": er.mean(), "Q": q, "Q_sd": sq, "MI_bits": h_l + h_r - h_lr, "selfMI_L_bits": h_l,
            "t_learn_readout_ms": t_learn_ms, "t_recall_readout_ms": t_recall_ms}


def summarise(run: dict) -> dict:
    """Add spike statistics (and Q/MI for the network) to a finished run's record."""
    if run.get("error") or not run.get("data_dir"):
        return run
    cfg = read_config(run["data_dir"])
    n_exc, n_inh = cfg["populations"]["N_exc"], cfg["populations"]["N_inh"]
    n = n_exc + n_inh
    times, gids = read_spikes(run["data_dir"])
    run["n_spikes"] = int(times.size)
    run["seconds_simulated"] = float(cfg["simulation"]["runtime"])
    if n <= 10:
        run["spikes_per_neuron"] = np.bincount(gids, minlength=n)[:n].astype(int).tolist()
        learn = cfg["simulation"].get("learn_protocol") or {}
        recall = cfg["simulation"].get("recall_protocol") or {}
        if learn.get("scheme") == "TRIPLET":
            t0 = 1000.0 * learn["time_start"]
            run["spikes_learning_window"] = {"window_ms": [t0, t0 + 1100.0],
                                             "counts": spike_counts(times, gids, n, t0, t0 + 1100.0)}
        if recall.get("scheme") == "ONEPULSE":
            t0 = 1000.0 * recall["time_start"]
            run["spikes_recall_window"] = {"window_ms": [t0, t0 + 100.0],
                                           "counts": spike_counts(times, gids, n, t0, t0 + 100.0)}
    else:
        exc = gids < n_exc
        run["rate_exc_hz"] = float(exc.sum() / n_exc / run["seconds_simulated"])
        run["rate_inh_hz"] = float((~exc).sum() / max(n_inh, 1) / run["seconds_simulated"])
    if run["protocol"] == "defaultnet_10s":
        sim = cfg["simulation"]
        run["recall_quality"] = recall_quality(
            times, gids, n_exc, n_inh, cfg["populations"]["N_CA"], cfg["populations"]["p_r"],
            1000.0 * sim["learn_protocol"]["time_start"] + 1000.0,
            1000.0 * sim["recall_protocol"]["time_start"] + 100.0)
        log = glob.glob(str(Path(run["data_dir"]) / "*_log.txt"))
        if log:
            for line in Path(log[0]).read_text().splitlines():
                if line.startswith("Number of connections:"):
                    run["n_connections"] = int(line.split(":")[1].split()[0])
    return run


# ----------------------------------------------------------------------------------------------
# reference data

def _pick(t: np.ndarray, targets) -> np.ndarray:
    """Index of the last sample at or before each target time (ms)."""
    idx = np.searchsorted(t, np.asarray(targets, dtype=float) + 1e-6, side="right") - 1
    return np.unique(np.clip(idx, 0, t.size - 1))


def _grid(t: np.ndarray, pieces: list[tuple[float, float, float]]) -> np.ndarray:
    """Sample indices for a list of (start, stop, step) ms pieces (last sample at or before each)."""
    targets = np.concatenate([np.arange(a, b, s) for a, b, s in pieces])
    return _pick(t, targets[(targets >= t[0]) & (targets <= t[-1] + 1e-6)])


def _r(x, nd=4) -> list:
    """Values as the peer wrote them (4 decimals): round away binary noise."""
    return [round(float(v), nd) for v in np.asarray(x)]


def _at(trace: dict, key: str, sample: int, times_ms) -> list[dict]:
    t = trace["t_ms"]
    out = []
    for tt in times_ms:
        i = int(_pick(t, [tt])[0])
        out.append({"t_ms": float(tt), "sample_t_ms": round(float(t[i]), 4),
                    "value": round(float(trace["samples"][sample][key][i]), 4)})
    return out


def _sample_index(trace: dict, post: int, pre: int) -> int:
    return next(k for k, s in enumerate(trace["samples"]) if s["post"] == post and s["pre"] == pre)


def _cost(run: dict) -> dict:
    return {k: (round(run[k], 3) if isinstance(run.get(k), float) else run.get(k))
            for k in ("cpu_s", "user_s", "sys_s", "wall_s", "peak_rss_mb", "peak_vmhwm_sampled_mb", "command",
                      "measured_with") if k in run}


def ref_basic_early_det(run: dict) -> dict:
    tr = read_traces(run["data_dir"])
    s = tr["samples"][_sample_index(tr, 1, 0)]
    times, gids = read_spikes(run["data_dir"])
    return {
        "what": "every output step (output_period 1) of synapse 0->1 and neuron 1; sigma_pl = 0",
        "cost": _cost(run),
        "t_ms": _r(tr["t_ms"]), "h_mV": _r(s["h"]), "Ca": _r(s["Ca"]), "V1_mV": _r(s["V"]),
        "z_mV_max_abs": float(np.abs(s["z_mV"]).max()), "pc_max": float(s["pc"].max()),
        "spikes": {"t_ms": _r(times), "gid": gids.tolist()},
        "h_at": _at(tr, "h", _sample_index(tr, 1, 0), [40, 60, 68.7, 78.8, 90.6, 100, 120, 150, 199.7]),
        "Ca_at": _at(tr, "Ca", _sample_index(tr, 1, 0), [28.9, 38.7, 48.8, 58.7, 68.7, 78.8, 199.7]),
        "h_min": {"t_ms": float(tr["t_ms"][np.argmin(s["h"])]), "value": float(s["h"].min())},
        "h_max": {"t_ms": float(tr["t_ms"][np.argmax(s["h"])]), "value": float(s["h"].max())},
        "Ca_max": {"t_ms": float(tr["t_ms"][np.argmax(s["Ca"])]), "value": float(s["Ca"].max())},
    }


def ref_single_psp(run: dict) -> dict:
    tr = read_traces(run["data_dir"])
    s = tr["samples"][_sample_index(tr, 1, 0)]
    times, gids = read_spikes(run["data_dir"])
    i = int(np.argmax(s["V"]))
    return {
        "what": "basic_early_det config with one explicit spike of neuron 0 at 10 ms, runtime 50 ms; V of neuron 1",
        "cost": _cost(run), "t_ms": _r(tr["t_ms"]), "V1_mV": _r(s["V"]),
        "spikes": {"t_ms": _r(times), "gid": gids.tolist()},
        "V1_peak": {"t_ms": float(tr["t_ms"][i]), "value_mV": float(s["V"][i]), "dV_mV": float(s["V"][i] + 65.0)},
    }


def ref_basic_early(runs: list[dict]) -> dict:
    ts, hs = None, []
    for run in runs:
        tr = read_traces(run["data_dir"])
        if ts is None:
            ts = tr["t_ms"]
        elif ts.shape != tr["t_ms"].shape or np.abs(ts - tr["t_ms"]).max() > 1e-6:
            raise ValueError("basic_early trials have different time grids")
        hs.append(tr["samples"][_sample_index(tr, 1, 0)]["h"])
    h = np.array(hs)
    mean, sd = h.mean(axis=0), h.std(axis=0, ddof=1)
    at = []
    for tt in [40, 60, 90.6, 100, 120, 150, 199.7]:
        i = int(_pick(ts, [tt])[0])
        at.append({"t_ms": tt, "sample_t_ms": round(float(ts[i]), 4), "mean_mV": round(float(mean[i]), 5),
                   "sd_mV": round(float(sd[i]), 5), "sem_mV": round(float(sd[i] / np.sqrt(len(hs))), 5)})
    costs = np.array([[r["cpu_s"], r["wall_s"], r["peak_rss_mb"]] for r in runs])
    return {
        "what": "h(0->1) over independent trials (sigma_pl = 2.90436 mV; seeds from the wall clock); mean and "
                "sample SD (ddof 1) over trials on every output step",
        "n_trials": len(hs),
        "cost_per_trial": {"cpu_s_mean": round(float(costs[:, 0].mean()), 3),
                           "cpu_s_sd": round(float(costs[:, 0].std(ddof=1)), 3) if len(runs) > 1 else None,
                           "wall_s_mean": round(float(costs[:, 1].mean()), 3),
                           "peak_rss_mb_max": round(float(costs[:, 2].max()), 1),
                           "command": runs[0]["command"],
                           "note": "wall time includes the peer's 2-s sleep in getTimestamp()"},
        "t_ms": _r(ts), "h_mean_mV": _r(mean, 5), "h_sd_mV": _r(sd, 5),
        "h_at": at,
        "mean_peak": {"t_ms": float(ts[np.argmax(mean)]), "mean_mV": float(mean.max()),
                      "percent_of_h0": float(100 * mean.max() / H0)},
    }


def _net_traces(tr: dict, idx: np.ndarray) -> dict:
    syn, neu = {}, {}
    for s in tr["samples"]:
        if s["pre"] >= 0:
            syn[f"{s['pre']}->{s['post']}"] = {"h_mV": _r(s["h"][idx]), "z_mV": _r(s["z_mV"][idx]),
                                               "Ca": _r(s["Ca"][idx])}
            neu.setdefault(str(s["post"]), {})["pc"] = _r(s["pc"][idx])
        neu.setdefault(str(s["post"]), {})["V_mV"] = _r(s["V"][idx])
    return {"synapses": syn, "neurons": neu}


def ref_smallnet3(run: dict, long: bool) -> dict:
    tr = read_traces(run["data_dir"])
    t = tr["t_ms"]
    times, gids = read_spikes(run["data_dir"])
    if long:
        pieces = [(0, 10000, 1000), (10000, 11300, 10), (11300, 16100.3, 200)]
        detailed1 = t <= 16100.3
        ff = np.flatnonzero(~detailed1 & (t < 28805000 - 1e-3))
        idx = np.unique(np.concatenate([_grid(t[detailed1], pieces), ff,
                                        _grid(t, [(28805000, 28810000, 1000), (28810000, 28810300, 10),
                                                  (28810300, 28815100.3, 200)])]))
        h_times = [10500, 11100, 11200, 12000, 16000, 3600e3, 7200e3, 14400e3, 28805e3, 28810e3, 28810.1e3,
                   28815e3]
    else:
        idx = _grid(t, [(0, 10000, 1000), (10000, 11300, 10), (11300, 20000, 200), (20000, 20300, 10),
                        (20300, 25000.1, 200)])
        h_times = [10500, 11100, 11200, 12000, 20000, 20100, 25000]
    k01, k02, k32, k03, k23 = (_sample_index(tr, post, pre) for pre, post in [(0, 1), (0, 2), (3, 2), (0, 3), (2, 3)])
    out = {
        "what": ("smallnet3 det (sigma_pl 0, Ca_pre/post 0.6/0.1655, no background); traces downsampled to the "
                 "last Arbor sample at or before each grid time" + (
                     "; grid: 1 s to 10 s, 10 ms in [10, 11.3) s, 200 ms to the end of phase 1 (16.1 s), every "
                     "50-s fast-forward sample of phase 2, then in phase 3 1 s to 28810 s, 10 ms in [28810, "
                     "28810.3) s, 200 ms to its end"
                     if long else "; grid: 1 s to 10 s, 10 ms in [10, 11.3) s and [20, 20.3) s, 200 ms elsewhere")),
        "cost": _cost(run),
        "t_ms": _r(t[idx]),
        **_net_traces(tr, idx),
        "spikes_learning_window": run.get("spikes_learning_window"),
        "spikes_recall_window": run.get("spikes_recall_window"),
        "spikes_per_neuron": run.get("spikes_per_neuron"),
        "spikes": {"t_ms": _r(times), "gid": gids.tolist()},
        "h_0to1_at": _at(tr, "h", k01, h_times),
        "h_0to2_at": _at(tr, "h", k02, h_times), "h_0to3_at": _at(tr, "h", k03, h_times),
        "h_3to2_at": _at(tr, "h", k32, h_times), "h_2to3_at": _at(tr, "h", k23, h_times),
        "z_mV_0to1_at": _at(tr, "z_mV", k01, h_times), "z_mV_0to2_at": _at(tr, "z_mV", k02, h_times),
        "pc_1_at": _at(tr, "pc", k01, h_times), "pc_2_at": _at(tr, "pc", k02, h_times),
        "n_samples_written": int(t.size),
    }
    if long:
        for key, k, post in [("1", k01, 1), ("2", k02, 2), ("3", k03, 3)]:
            pc = tr["samples"][k]["pc"]
            out.setdefault("pc_peak", {})[key] = {"t_ms": float(t[np.argmax(pc)]), "value": float(pc.max())}
        out["phase_boundaries_ms"] = _phase_boundaries(t)
    return out


def _phase_boundaries(t: np.ndarray) -> list[dict]:
    """Runs of equal step size in the trace times: (start, end, number of samples, median step)."""
    d = np.diff(t)
    big = d > 1000.0  # fast-forward samples are 50 s apart
    out, start = [], 0
    for i in range(1, d.size + 1):
        if i == d.size or big[i] != big[start]:
            seg = d[start:i]
            out.append({"t_start_ms": float(t[start]), "t_end_ms": float(t[i]), "n_steps": int(i - start),
                        "median_step_ms": float(np.median(seg))})
            start = i
    return out


def ref_basic_late(run: dict) -> dict:
    tr = read_traces(run["data_dir"])
    t = tr["t_ms"]
    s = tr["samples"][_sample_index(tr, 1, 0)]
    times, gids = read_spikes(run["data_dir"])
    detailed = t <= 14405000 + 1e-3
    ff = np.flatnonzero(~detailed)
    idx = np.unique(np.concatenate([_grid(t[detailed], [(0, 2000, 20), (2000, 14405000.1, 10000)]), ff]))
    stim = (t >= 0) & (t < 14400000)
    stim_late = (t >= 10000) & (t < 14400000)
    return {
        "what": ("smallnet2 basic late (sigma_pl 2.90436 mV; RECT OU drive to neuron 0, 0-14400 s; output_period "
                 "100 = 20 ms in the detailed phase); traces of synapse 0->1 / neuron 1 at the last sample at or "
                 "before: every 20 ms for 0-2 s, every 10 s to 14405 s, then every 50-s fast-forward sample"),
        "cost": _cost(run),
        "t_ms": _r(t[idx]), "h_mV": _r(s["h"][idx]), "z_mV": _r(s["z_mV"][idx]), "Ca": _r(s["Ca"][idx]),
        "pc": _r(s["pc"][idx]), "V1_mV": _r(s["V"][idx]),
        "rates_during_stimulus_hz": (np.bincount(gids[times < 14400000], minlength=4)[:4] / 14400.0).tolist(),
        "spikes_per_neuron": np.bincount(gids, minlength=4)[:4].astype(int).tolist(),
        "h_stats_stimulus_after_10s": {"mean_mV": float(s["h"][stim_late].mean()),
                                       "min_mV": float(s["h"][stim_late].min()),
                                       "max_mV": float(s["h"][stim_late].max()),
                                       "note": "over all written samples (every 20 ms) with 10 s <= t < 14400 s"},
        "h_stats_stimulus": {"mean_mV": float(s["h"][stim].mean())},
        "Ca_stats_stimulus_after_10s": {"mean": float(s["Ca"][stim_late].mean()),
                                        "min": float(s["Ca"][stim_late].min()),
                                        "max": float(s["Ca"][stim_late].max())},
        "h_at": _at(tr, "h", 0, [100, 1000, 3600e3, 14400e3, 14405e3, 21600e3, 28800e3]),
        "z_mV_at": _at(tr, "z_mV", 0, [3600e3, 14400e3, 21600e3, 28800e3]),
        "pc_at": _at(tr, "pc", 0, [3600e3, 14400e3, 21600e3, 28800e3]),
        "pc_peak": {"t_ms": float(t[np.argmax(s["pc"])]), "value": float(s["pc"].max())},
        "n_samples_written": int(t.size),
        "phase_boundaries_ms": _phase_boundaries(t),
    }


def provenance(arbor_version: str, src: Path) -> dict:
    def ver(mod):
        try:
            return __import__(mod).__version__
        except Exception:
            return None
    cpu = None
    try:
        cpu = subprocess.check_output("lscpu | grep '^Model name:'", shell=True, text=True).split(":", 1)[1].strip()
    except Exception:
        pass
    return {
        "generated_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "script": "benchmarks/peers/arbor_consolidation.py",
        "peer": {"repository": f"https://github.com/{PEER_REPO}", "commit": PEER_COMMIT, "licence": "Apache-2.0",
                 "folder": str(src), "patches": PATCHES,
                 "code_not_copied": "the peer's code is driven from its folder; only its outputs are stored"},
        "arbor_version": arbor_version, "python": platform.python_version(), "numpy": ver("numpy"),
        "host": platform.platform(), "cpu": cpu, "cpu_count": os.cpu_count(),
        "threads": "one (the peer uses proc_allocation(threads=1))",
        "plots": "off (-plot=0); costs are simulation + the peer's text output",
        "timing_note": "costs measured on a shared 2-core machine with other jobs running: noisy; cpu_s = user + "
                       "sys of the peer process (os.wait4), peak_rss_mb = its ru_maxrss",
        "seeds": "the peer seeds its mechanisms from the wall clock: stochastic runs are not reproducible",
    }


UNITS = {
    "t_ms": "ms (Arbor's sample/step times; not all multiples of 0.2 ms, see note_time_grid)",
    "h_mV": "mV (early-phase weight h; h_0 = 4.20075 mV)",
    "z_mV": "mV: z * h_0 as written by the peer (z is dimensionless; divide by h_0 = 4.20075)",
    "Ca": "dimensionless calcium amount (thresholds theta_p 3.0, theta_d 1.2)",
    "V*_mV": "mV membrane potential",
    "pc": "umol/l protein of the postsynaptic neuron (p_max 10)",
    "spsV_mV": "mV, the protein-synthesis signal sum_j |h_ji - h_0| read by the lif mechanism",
    "spikes.t_ms": "ms (Arbor's interpolated threshold crossings, written with 4 decimals)",
    "rates": "Hz",
    "cost": "cpu_s, wall_s in s; peak_rss_mb in MiB",
}

NOTE_TIME_GRID = (
    "Arbor integrates in epochs of half the minimum delay (1.5 ms here: delays 3 and 18.8 ms); within an epoch the "
    "step is dt = 0.2 ms except one 0.1-ms or 0.3-ms step at its end (e.g. ..., 1.3, 1.4, 1.5, 1.7, ..., 2.7, 3.0). "
    "Samples carry those step times, and an event (explicit stimulus, delayed spike) is applied at the start of "
    "the step that contains it: the explicit stimulus at 20 ms gives a spike at 19.9008 ms (the step 19.9-20.1 "
    "ms), the one at 10 ms a spike at 10.0007 ms. Likewise the smallnet3 10-s recall pulse fires neuron 0 at "
    "19999.91 ms, before the recall window [20000, 20100) ms (44 spikes in it, 45 in the pulse).")


def make_reference(out: Path, src: Path, workdir: Path, peer: Path, arbor_version: str, early_trials: int,
                   reuse: dict[str, str], nice: int, only: list[str] | None) -> None:
    data = json.loads(out.read_text()) if out.exists() else {}
    data["provenance"] = provenance(arbor_version, src)
    data["units"] = UNITS
    data["note_time_grid"] = NOTE_TIME_GRID

    def get_run(protocol: str) -> dict:
        if protocol in reuse:
            d = Path(reuse[protocol])
            cost = json.loads((d / "cost.json").read_text()) if (d / "cost.json").exists() else {}
            if (d / "rusage.json").exists():
                ru = json.loads((d / "rusage.json").read_text())
                cost = {"cpu_s": ru["utime"] + ru["stime"], "user_s": ru["utime"], "sys_s": ru["stime"],
                        "peak_rss_mb": ru["maxrss_kb"] / 1024.0, "command": "python " + SCRIPT + " " + " ".join(
                            _shell_quote(a) for a in [*protocol_args(protocol), "-plot=0"]), **cost}
            data_dir = sorted(x for x in d.glob("data_*") if x.is_dir())[0]
            run = {"protocol": protocol, **cost, "data_dir": str(data_dir), "run_dir": str(d), "error": None}
            run.setdefault("n_ca", None)
        else:
            run = run_protocol(protocol, peer, workdir, nice=nice)
        if run.get("error"):
            raise RuntimeError(f"{protocol}: {run['error']} ({run['run_dir']})")
        run = summarise(run)
        print_json({k: v for k, v in run.items() if k not in ("command",)})
        return run

    todo = only or ["basic_early_det", "single_psp", "basic_early", "smallnet3_10s", "smallnet3_8h", "basic_late"]
    for protocol in todo:
        if protocol == "basic_early":
            runs = [get_run("basic_early") for _ in range(early_trials)]
            data["basic_early"] = ref_basic_early(runs)
        elif protocol == "basic_early_det":
            data[protocol] = ref_basic_early_det(get_run(protocol))
        elif protocol == "single_psp":
            data[protocol] = ref_single_psp(get_run(protocol))
        elif protocol in ("smallnet3_10s", "smallnet3_8h"):
            data[protocol] = ref_smallnet3(get_run(protocol), protocol.endswith("8h"))
        elif protocol == "basic_late":
            data[protocol] = ref_basic_late(get_run(protocol))
        elif protocol == "defaultnet_10s":
            run = get_run(protocol)
            data["defaultnet_10s_cost"] = {"n_ca": run.get("n_ca"), "cost": _cost(run),
                                           "n_connections": run.get("n_connections"), "n_spikes": run.get("n_spikes"),
                                           "recall_quality": finite_or_none(run.get("recall_quality")),
                                           "rate_exc_hz_0_25s": run.get("rate_exc_hz"),
                                           "rate_inh_hz_0_25s": run.get("rate_inh_hz"),
                                           "what": ("one trial (fresh random network, p_c 0.1, seeds from the wall "
                                                    "clock) of config_defaultnet-like.json, 25 s, TRIPLET at 10 s, "
                                                    "ONEPULSE at 20 s; Q and MI as Luboeinski & Tetzlaff 2021 define them (rates in "
                                                    "[t - 0.25, t + 0.25) s at 11.0 s and 20.1 s; Q_sd propagates "
                                                    "the across-neuron SDs, it is not an across-trial SD). The "
                                                    "peer's own extract/analysis code (computeFiringRates, "
                                                    "calculateQ, calculateMIa) gives the same Q, Q_sd and MI on "
                                                    "this spikes file."),
                                           "standalone_reference_50_trials_ca150_10s": {
                                               "Q_mean": 0.0307, "Q_sd": 0.0140, "MI_mean_bits": 0.860,
                                               "MI_sd_bits": 0.066, "nu_as_hz": 92.58, "nu_ans_hz": 8.72,
                                               "nu_ctrl_hz": 5.88, "nu_inh_hz": 21.46,
                                               "source": "the stand-alone simulator of Luboeinski & Tetzlaff 2021, 50 trials (its repository's memory-recall notebook)"}}
        else:
            raise ValueError(protocol)
        _write(out, data)


def _write(out: Path, data: dict) -> None:
    """Compact JSON: one top-level key per line, arrays inline."""
    data = finite_or_none(data)
    lines = ["{"]
    keys = list(data)
    for i, k in enumerate(keys):
        sep = "," if i < len(keys) - 1 else ""
        lines.append(f" {json.dumps(k)}: {json.dumps(data[k], separators=(',', ':'))}{sep}")
    lines.append("}")
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KiB)", file=sys.stderr)


# ----------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--protocol", choices=PROTOCOLS, default="basic_early_det")
    ap.add_argument("--runs", type=int, default=1, help="repeat the protocol N times (like hyperfine --runs)")
    ap.add_argument("--n-ca", type=int, default=150, help="cell-assembly size for defaultnet_10s")
    ap.add_argument("--json", action="store_true", help="print one JSON line per run (default: a short text line)")
    ap.add_argument("--out", type=Path, help="also append the JSON lines to this file")
    ap.add_argument("--nice", type=int, default=0, help="niceness added to the peer process")
    ap.add_argument("--timeout-s", type=float, default=None)
    ap.add_argument("--src", type=Path, default=Path(os.environ.get("NETDYN_ARBOR_CONSOLIDATION_SRC", DEFAULT_SRC)))
    ap.add_argument("--workdir", type=Path, default=Path(os.environ.get(
        "NETDYN_PEERS_DIR", Path.home() / ".cache" / "netdyn-peers")).expanduser() / "arbor_consolidation_run")
    ap.add_argument("--reference-out", type=Path, help="write the reference data file (runs every protocol)")
    ap.add_argument("--early-trials", type=int, default=60, help="basic_early trials for --reference-out")
    ap.add_argument("--only", help="comma-separated protocols for --reference-out (others kept from the file)")
    ap.add_argument("--reuse", action="append", default=[], metavar="PROTOCOL=DIR",
                    help="use a finished run folder (with data_*/ and optionally cost.json) instead of running")
    ap.add_argument("--keep", action="store_true", help="keep the run folders (default: delete after parsing)")
    args = ap.parse_args(argv)

    try:
        import arbor
    except ImportError as exc:
        msg = f"arbor is not importable under {sys.executable} ({exc}); skipped (pip install arbor==0.12.2)"
        print(f"SKIP: {msg}")
        if args.json:
            print_json({"skipped": True, "reason": msg})
        return 0
    if not (args.src / SCRIPT).exists():
        print(f"SKIP: the Arbor consolidation peer folder {args.src} is absent (set NETDYN_ARBOR_CONSOLIDATION_SRC)")
        return 0
    args.workdir.mkdir(parents=True, exist_ok=True)
    peer = prepare_workdir(args.src, args.workdir, arbor.__version__)

    if args.reference_out:
        reuse = dict(item.split("=", 1) for item in args.reuse)
        only = args.only.split(",") if args.only else None
        make_reference(args.reference_out, args.src, args.workdir, peer, arbor.__version__, args.early_trials,
                       reuse, args.nice, only)
        return 0

    status = 0
    for i in range(args.runs):
        run = summarise(run_protocol(args.protocol, peer, args.workdir, args.n_ca, args.nice, args.timeout_s))
        run.update({"run": i, "arbor_version": arbor.__version__})
        if run["error"]:
            status = 1
        if args.json:
            print_json(run)
        else:
            print(f"{run['protocol']} run {i}: cpu {run['cpu_s']:.2f} s, wall {run['wall_s']:.2f} s, "
                  f"peak RSS {run['peak_rss_mb']:.0f} MiB, spikes {run.get('n_spikes')}"
                  + (f", error: {run['error']}" if run["error"] else ""), flush=True)
        if args.out:
            with open(args.out, "a") as fh:
                fh.write(json.dumps(finite_or_none(run)) + "\n")
        if not args.keep and not run["error"]:
            shutil.rmtree(run["run_dir"], ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
