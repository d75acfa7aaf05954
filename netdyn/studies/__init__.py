"""The seed studies as compositions on the study driver (:mod:`netdyn.sweep.study`).

A study module declares what its study is (a :class:`~netdyn.sweep.SweepStudy` or a
:class:`~netdyn.sweep.SingleRunStudy`: name, configuration class, unit dimension, results
template, module-level unit function, summary, figure writer) and a ``run_*`` function that
hands it to :func:`~netdyn.sweep.run_study`; the driver does the rest (checks, executors,
resumable store, ``summary.json``, figures), and ``netdyn plot`` redraws through
:func:`~netdyn.sweep.redraw`.

=====================  ========================  ==========================================
module                 studies                   work units
=====================  ========================  ==========================================
:mod:`.chaos`          ``CHAOS``                 sessions (random rate networks)
:mod:`.srnn`           ``SRNN_BASIC``            adaptation configurations of one network
                       ``SRNN_SWEEP``            random networks
:mod:`.rsfs`           ``RSFS``                  one recorded run (``recording.h5``)
                       ``RSFS_SEEDS``            seeds
:mod:`.multiarea`      ``MULTIAREA``             one recorded run (``spikes.h5``, ``results.zarr``)
                       ``MULTIAREA_SEEDS``       seeds
                       ``MULTIAREA_THEORY``      one mean-field computation (``results.zarr``)
:mod:`.consolidation`  ``CONSOLIDATION``         one trial of a protocol (``spikes.h5``, ``results.zarr``)
                       ``CONSOLIDATION_TRIALS``  trials of a protocol
                       ``CONSOLIDATION_SCREEN``  (protocol, assembly size, trial) runs
=====================  ========================  ==========================================

:mod:`.coba` and :mod:`.microcircuit` build the benchmark networks that :mod:`.bench` times
(``netdyn bench``), with the multi-area model of :mod:`.multiarea`.
"""
