"""Observers that reduce the state while a simulation runs (memory O(what is asked for))."""

from netdyn.record.observers import FullState, Observer, SampledUnits, TwinDivergence

__all__ = ["FullState", "Observer", "SampledUnits", "TwinDivergence"]
