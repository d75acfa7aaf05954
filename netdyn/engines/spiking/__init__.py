"""The spiking engine: build a :class:`~netdyn.models.spiking.spec.NetworkSpec` into arrays
(CSR synapses with delay segments, ring buffers, struct-of-arrays state) and run it in a
compiled step loop."""

from netdyn.engines.spiking.network import Network

__all__ = ["Network"]
