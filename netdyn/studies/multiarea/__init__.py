"""Study ``multiarea``: the down-scaled multi-area model of macaque visual cortex (Schmidt et al. 2018).

32 areas x 8 populations of ``lif_psc_exp`` neurons (254 populations: TH has no layer 4) with
the model's connectivity, delays, Poisson drive and DC compensation
(:mod:`netdyn.models.multiarea`), simulated by netdyn's spiking engine and analysed as the
model's notebook does, beside the mean-field theory of the same configuration
(Schuecker et al. 2017). Three studies on the driver (:func:`netdyn.sweep.run_study`):

:data:`MULTIAREA` (:func:`run_multiarea`, module :mod:`.simulation`)
    One recorded simulation: ``spikes.h5``, ``results.zarr`` (dimensions area, population,
    time_ms), ``summary.json`` and six figures.
:data:`MULTIAREA_SEEDS` (:func:`run_multiarea_seeds`, module :mod:`.seeds`)
    The simulation's statistics over seeds, each seed a resumable work unit (``seeds.zarr``,
    ``seeds_summary.json``).
:data:`MULTIAREA_THEORY` (:func:`run_multiarea_theory`, module :mod:`.theory`)
    The mean field alone: pseudo-dynamics of the 254 rates, fixed point and leading
    eigenvalue of the gain matrix, in seconds.

The building blocks: :func:`model_parameters` (the numbers of a configuration),
:func:`multiarea_spec` (the engine's network), :func:`activity_dataset` (the analysis of a
recording) and :func:`mean_field_rates`.

References
----------
- M. Schmidt, R. Bakker, C. C. Hilgetag, M. Diesmann, S. J. van Albada (2018), "Multi-scale
  account of the network structure of macaque visual cortex", Brain Struct. Funct. 223,
  1409-1435.
- M. Schmidt, R. Bakker, K. Shen, G. Bezgin, M. Diesmann, S. J. van Albada (2018), "A
  multi-scale layer-resolved spiking network model of resting-state dynamics in macaque visual
  cortical areas", PLoS Comput. Biol. 14, e1006359.
- J. Schuecker, M. Schmidt, S. J. van Albada, M. Diesmann, M. Helias (2017), "Fundamental
  activity constraints lead to specific interpretations of the connectome", PLoS Comput. Biol.
  13, e1005179.
"""

from __future__ import annotations

from netdyn.lazy import lazy_exports

#: Public name -> module that defines it, loaded on first use (so that the mean field alone,
#: ``netdyn multiarea theory``, does not import the spike analysis and the engine).
_EXPORTS: dict[str, str] = {
    "activity_dataset": "netdyn.studies.multiarea.analysis",
    "check_model": "netdyn.studies.multiarea.network",
    "model_network": "netdyn.studies.multiarea.network",
    "model_parameters": "netdyn.studies.multiarea.network",
    "multiarea_spec": "netdyn.studies.multiarea.network",
    "population_label": "netdyn.studies.multiarea.network",
    "MULTIAREA_SEEDS": "netdyn.studies.multiarea.seeds",
    "run_multiarea_seeds": "netdyn.studies.multiarea.seeds",
    "MULTIAREA": "netdyn.studies.multiarea.simulation",
    "MultiAreaOutputs": "netdyn.studies.multiarea.simulation",
    "run_multiarea": "netdyn.studies.multiarea.simulation",
    "simulate": "netdyn.studies.multiarea.simulation",
    "MULTIAREA_THEORY": "netdyn.studies.multiarea.theory",
    "MultiAreaTheoryOutputs": "netdyn.studies.multiarea.theory",
    "mean_field_rates": "netdyn.studies.multiarea.theory",
    "run_multiarea_theory": "netdyn.studies.multiarea.theory",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
