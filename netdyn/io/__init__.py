"""Reading and writing recordings: HDF5 (:mod:`netdyn.io.hdf5`, the native format) and NWB
export of spikes (:mod:`netdyn.io.nwb`, needs ``pip install netdyn[nwb]``)."""

from netdyn.io.hdf5 import read_recording, write_recording

__all__ = ["read_recording", "write_recording"]
