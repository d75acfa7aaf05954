"""Figures transcribed by hand from published Brian2 2.9 runs of ntwk's networks.

Source of truth for ``tests/data/rsfs_brian2_reference.json`` (the RS-FS network) and the
``spec_table`` part of ``tests/data/coba_reference.json`` (the self-sustained COBA table). Rates in Hz,
times in ms, potentials in mV. A value with no spread in the source has ``sd``/``min``/``max``
None.
"""

from __future__ import annotations


def _ms(mean, sd=None, lo=None, hi=None):
    return {"mean": mean, "sd": sd, "min": lo, "max": hi}


RSFS_BRIAN2 = {
    "source": "spiking.md section 2.1 'README RS-FS example' (Brian2 2.9, ntwk code, 7 seeds)",
    "setup": {
        "n_exc": 4000, "n_inh": 1000, "cell_exc": "RS", "cell_inh": "FS",
        "n_aff": 400, "p_aff": 0.5, "k_aff": 200,
        "afferent_rate_hz": "4 + 4 exp(-(t - 1000)^2 / (2 100^2))",
        "tsyn_exc_ms": 5.0, "tsyn_inh_ms": 5.0, "erev_exc_mv": 0.0, "erev_inh_mv": -80.0,
        "tstop_ms": 1500.0, "dt_ms": 0.1,
        "connectivity": "fixed in-degree with replacement, no self-connections (K 200 E->E, E->I; 50 I->E, I->I)",
        "synapse_counts": {"ExcExc": 800000, "ExcInh": 200000, "InhExc": 200000, "InhInh": 50000},
        "afferent_drive": "per-neuron Bernoulli per bin, p_bin = dt K_aff nu(t) 1e-3",
        "seeds": [{"conn": 5, "aff": 32}] + [{"conn": s, "aff": 11 * s} for s in (1, 2, 3, 4, 6, 7)],
        "n_seeds": 7,
    },
    "rates_hz": {
        "stat": "population rate per window; mean and SD over the 7 seeds, min-max where the spec gives it",
        "Exc": {
            "0-350": _ms(3.41, 0.09, 3.32, 3.58),
            "350-900": _ms(1.97, 0.05, 1.90, 2.04),
            "500-800": _ms(1.64, 0.14),
            "950-1050": _ms(5.26, 0.25, 4.95, 5.68),
            "900-1100": _ms(4.93, 0.15),
            "1000-1500": _ms(1.45, 0.04, 1.38, 1.52),
            "1300-1500": _ms(0.54, 0.06, 0.45, 0.62),
            "200-1500": _ms(2.05, 0.03),
        },
        "Inh": {
            "0-350": _ms(8.65, 0.13),
            "350-900": _ms(6.85, 0.09, 6.72, 6.96),
            "500-800": _ms(5.93, 0.22),
            "950-1050": _ms(18.23, 0.36, 17.70, 18.82),
            "900-1100": _ms(16.96, 0.26),
            "1000-1500": _ms(7.13, 0.07, 7.01, 7.23),
            "1300-1500": _ms(3.82, 0.07, 3.70, 3.89),
            "200-1500": _ms(7.75, 0.05),
        },
    },
    "onset_bin_50_100_ms_peak_hz": {"Exc": 7.7, "Inh": 16.3},
    "peak_10ms_binned_rate": {
        "Exc": {"rate_hz": _ms(9.7, 0.8), "time_range_ms": [935.0, 985.0]},
        "Inh": {"rate_hz": _ms(21.3, 0.9), "time_range_ms": [955.0, 1025.0]},
    },
    "cv_isi": {
        "window_ms": [350.0, 1500.0], "rule": "neurons with >= 3 ISIs",
        "Exc": {**_ms(0.575, 0.022), "n_cells_approx": 416},
        "Inh": {**_ms(0.764, 0.012), "n_cells_approx": 995},
    },
    "active_fraction_after_350_ms": {"Exc": 0.988, "Inh": 1.00},
    "asynchrony_cv_5ms_population_counts": {
        "window_ms": [350.0, 900.0],
        "Exc": _ms(0.51, 0.07), "Inh": _ms(0.41, 0.03),
    },
    "vm_mv": {
        "window_ms": [350.0, 900.0], "cells": "the 4 recorded cells per population, spikes not removed",
        "Exc": {"mean": _ms(-55.7, 0.5), "sd_over_time": 3.8},
        "Inh": {"mean": _ms(-56.1, 0.3), "sd_over_time": 4.6},
    },
    "readme_seed_pair_counts": {
        "seeds": {"conn": 5, "aff": 32},
        "exc_spikes": 14262, "inh_spikes": 12164,
        "afferent_events_exc": 5603628, "afferent_events_inh": 1400524,
        "afferent_events_per_neuron_expected": 1400.5,
        "afferent_events_per_neuron_observed": {"Exc": 1400.9, "Inh": 1400.5},
        "note": "numpy, cython and cpp_standalone targets gave identical output",
    },
    "bernoulli_connectivity_3_seeds": {
        "note": "Brian2 connect(p) instead of fixed in-degree, 3 seeds, means only",
        "rates_hz": {
            "Exc": {"350-900": 1.93, "1000-1500": 1.33, "1300-1500": 0.56},
            "Inh": {"350-900": 6.83, "1000-1500": 6.99, "1300-1500": 3.86},
        },
        "cv_isi_exc": 0.62,
    },
}

COBA_SPEC_TABLE = {
    "source": "spiking.md section 2.2 table 'COBA LIF benchmark', 1 s, 3 seeds (Brian2 2.9)",
    "model": {
        "n_exc": 3200, "n_inh": 800, "gl_ns": 10.0, "cm_pf": 200.0, "el_mv": -60.0, "vreset_mv": -60.0,
        "vthre_mv": -50.0, "qe_ns": 6.0, "tau_e_ms": 5.0, "ee_mv": 0.0, "qi_ns": 67.0, "tau_i_ms": 10.0,
        "ei_mv": -80.0, "p": 0.02,
        "initial_state": "V ~ N(-65, 5) mV, G_E ~ |40 + 15 randn| nS, G_I ~ |200 + 120 randn| nS",
        "external_drive": None,
        "note": "self-sustained (no drive): NOT the section-5 benchmark model, which has I = 20 mV",
    },
    "exc_rate_window_ms": [100.0, 1000.0],
    "variants": {
        "ntwk_demo_coba_LIF_trefrac3_fixed_indegree": {
            "trefrac_ms": 3.0, "connectivity": "fixed in-degree 64 E / 16 I (ntwk)",
            "rate_exc_hz": _ms(23.1, 1.4, 22.0, 24.7), "rate_inh_hz": _ms(23.5, 1.0),
            "cv_isi_exc": 1.97, "cv_isi_inh": 1.99, "run_cpu_s": [6.5, 7.3], "peak_rss_gb": 0.30,
        },
        "ntwk_flow_trefrac5_fixed_indegree": {
            "trefrac_ms": 5.0, "connectivity": "fixed in-degree 64 E / 16 I (ntwk)",
            "rate_exc_hz": _ms(14.34, 0.06), "rate_inh_hz": _ms(14.55, 0.07),
            "cv_isi_exc": 1.44, "cv_isi_inh": 1.46, "run_cpu_s": [7.0, 11.0],
        },
        "brian2_bernoulli_trefrac5": {
            "trefrac_ms": 5.0, "connectivity": "Bernoulli p = 0.02 (Brian2 connect(p))",
            "rate_exc_hz": _ms(19.0, 0.4, 18.6, 19.4), "rate_inh_hz": _ms(19.2, 0.1),
            "cv_isi_exc": 1.58, "cv_isi_inh": 1.59, "run_cpu_s": [2.3, 3.2], "peak_rss_gb": 0.14,
        },
        "brian2_fixed_indegree_trefrac5": {
            "trefrac_ms": 5.0, "connectivity": "fixed in-degree with replacement",
            "rate_exc_hz_per_seed": [14.4, 14.7], "rate_inh_hz_per_seed": [14.5, 14.7],
            "cv_isi_exc": 1.41, "cv_isi_inh": 1.44,
            "note": "2 seeds; seed 1 died (activity stopped) at 524 ms",
        },
    },
}
