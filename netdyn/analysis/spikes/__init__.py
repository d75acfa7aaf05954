r"""Statistics of recorded spike trains: rates, irregularity, correlations, synchrony.

Pure functions in the style of Elephant: spike trains in, numbers out. Every function takes
the spikes of **one population** in one of two forms, and nothing else about them:

* a :class:`netdyn.record.spiking.SpikeTrains` as the first argument; the analysis window
  defaults to its recorded interval and may be narrowed with ``t_start_ms`` / ``t_stop_ms``;
  neurons outside its ``recorded`` subset are excluded (NaN in per-neuron results, not counted
  in population means);
* plain arrays: ``times_ms`` (spike times in ms, any order), ``senders`` (the index of the
  spiking neuron, ``0 .. n_neurons-1``), ``n_neurons``, ``t_start_ms``, ``t_stop_ms``; every
  neuron counts as recorded.

The window is half-open, ``t_start_ms <= t < t_stop_ms``; spikes outside it are ignored, and
rates divide by its length. Per-neuron results are float64 arrays of length ``n_neurons``
indexed by neuron; NaN marks a neuron that was not recorded or has too few intervals.

Binning (:func:`binned_counts` and everything built on it) follows Elephant's
``BinnedSpikeTrain``: bin ``k`` is ``[t_start + k b, t_start + (k+1) b)``, the number of bins is
``floor(T / b)`` (so spikes in a trailing partial bin are dropped) and a spike less than
``1e-8`` bins below an edge is counted in the next bin, which absorbs round-off such as
``0.3 / 0.1 = 2.9999999999999996`` for spike times on the integration grid.

All functions are vectorised over neurons and pairs (``np.bincount`` on the spikes sorted by
sender, sparse binned counts), so they scale to 1e5 neurons and 1e7 spikes (a few seconds
per statistic on one core).

References
----------
.. [S03] S. Shinomoto, K. Shima, J. Tanji (2003), "Differences in spiking patterns among
   cortical neurons", Neural Comput. 15, 2823-2842.
.. [S09] S. Shinomoto, H. Kim, T. Shimokawa, N. Matsuno, S. Funahashi, K. Shima, I. Fujita,
   H. Tamura, T. Doi, K. Kawano, N. Inaba, K. Fukushima, S. Kurkin, K. Kurata, M. Taira,
   K. Tsutsui, H. Komatsu, T. Ogawa, K. Koida, J. Tanji, K. Toyama (2009), "Relating neuronal
   firing patterns to functional differentiation of cerebral cortex", PLoS Comput. Biol. 5,
   e1000433.
.. [G01] D. Golomb (2007), "Neuronal synchrony measures", Scholarpedia 2(1), 1347; D. Golomb,
   D. Hansel (2000), "The number of synaptically coupled neurons that generates a
   synchronized network rhythm", Neural Comput. 12, 1095-1139.
.. [CE14] C. Cutts, S. Eglen (2014), "Detecting pairwise correlations in spike trains: an
   objective comparison of methods and application to the study of retinal waves",
   J. Neurosci. 34, 14288-14303.
.. [E] Elephant, the Electrophysiology Analysis Toolkit, https://elephant.readthedocs.io
   (``statistics.cv``, ``lv``, ``lvr``, ``mean_firing_rate``,
   ``spike_train_correlation.correlation_coefficient``, ``spike_time_tiling_coefficient``):
   the reference of the tests.

Modules: :mod:`~netdyn.analysis.spikes.rates`, :mod:`~netdyn.analysis.spikes.kernel_rate`,
:mod:`~netdyn.analysis.spikes.irregularity`, :mod:`~netdyn.analysis.spikes.correlation`,
:mod:`~netdyn.analysis.spikes.summary` (five numbers per population);
every public name is available here.
"""

from netdyn.analysis.spikes import correlation, irregularity, kernel_rate, rates, summary
from netdyn.analysis.spikes.correlation import *  # noqa: F403 - the package's face
from netdyn.analysis.spikes.irregularity import *  # noqa: F403
from netdyn.analysis.spikes.kernel_rate import *  # noqa: F403
from netdyn.analysis.spikes.rates import *  # noqa: F403
from netdyn.analysis.spikes.summary import *  # noqa: F403

__all__ = [*rates.__all__, *kernel_rate.__all__, *irregularity.__all__, *correlation.__all__, *summary.__all__]
