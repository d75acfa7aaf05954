r"""Stable random nonlinear network (SRNN): a rate network with spike-frequency adaptation
(SFA) and short-term synaptic depression (STD), after T. Richner's *Stable Random Nonlinear
Networks* (SRNN; MATLAB original, Julia and Python ports).

**Time is in seconds** throughout this package (``tau_*_s``, ``t_s``, inputs' sample
times); rates are in "Hz" (dimensionless in the equations). This differs from the chaos
model (:class:`~netdyn.models.rate.RateNetwork`), whose time is in ms.

Equations, for neuron ``i`` with SFA timescales :math:`\tau_{a,k}` and STD timescales
:math:`\tau_{b,m}` of its population (E or I):

.. math::

    u_{\mathrm{eff},i} &= u_{d,i} - c_i \textstyle\sum_k a_{i,k}, \qquad
    r_i = \phi(u_{\mathrm{eff},i}), \qquad
    p_i = r_i \textstyle\prod_m b_{i,m} \\
    \frac{da_{i,k}}{dt} &= \frac{r_i - a_{i,k}}{\tau_{a,k}}
        \quad (0 \text{ where } c_i = 0) \\
    \frac{db_{i,m}}{dt} &= \frac{1 - b_{i,m}}{\tau_{b,m}} - \frac{F_i\, p_i}{\tau_\mathrm{STD}}
        \quad \text{("matlab", default)} \quad\text{or}\quad
        \frac{1 - b_{i,m}}{\tau_{b,m}} - \frac{b_{i,m} F_i\, r_i}{\tau_\mathrm{STD}}
        \quad \text{("julia")}, \quad (0 \text{ where } F_i = 0) \\
    \tau_d \frac{du_{d,i}}{dt} &= -u_{d,i} + u_{\mathrm{ex},i}(t) + s \textstyle\sum_j M_{ij}\, p_j

with ``M[post, pre]`` and :math:`s` a per-trajectory weight scale (1 by default; see
``weight_scale`` below). The two STD variants coincide for one STD timescale.

State layout
------------
A batch of ``B`` trajectories is one ``(dim, B)`` float64 array, one column per trajectory,
with blocks in the reference's order ``[a_E; a_I; b_E; b_I; u_d]``:

========  ===========================  =============================================
block     rows                         content
========  ===========================  =============================================
``a_E``   ``n_a_E * n_E``              SFA states of the E neurons
``a_I``   ``n_a_I * n_I``              SFA states of the I neurons
``b_E``   ``n_b_E * n_E``              STD states of the E neurons
``b_I``   ``n_b_I * n_I``              STD states of the I neurons
``u_d``   ``n``                        dendritic states of all neurons, by neuron index
========  ===========================  =============================================

Inside a population block the **neuron index runs fastest** (the MATLAB/Julia column-major
packing; the Python port packs timescale-fastest): row ``offset + k * n_pop + j`` holds
timescale ``k`` of the ``j``-th neuron of that population (neurons of a population in
increasing index order), so ``x[block].reshape(n_timescales, n_pop, B)`` is a view.
:attr:`SRNNetwork.layout` (an :class:`SRNNLayout`) gives the slices and index helpers;
``a`` is the union of the two ``a`` blocks and ``b`` of the two ``b`` blocks.

Recording: observers of :mod:`netdyn.record` see the whole ``(dim, B)`` state, so
``SampledUnits(units=layout.u_d_index(...))`` records chosen state rows, and derived
quantities come afterwards from a recorded :class:`~netdyn.record.FullState`, since every
method here treats columns independently: for the ``(time, unit, trajectory)`` record
``X``, ``net.rates(X[:, :, b].T)`` is the ``(n, n_time)`` rate history of trajectory ``b``
(likewise :meth:`~SRNNetwork.synaptic_output`, :meth:`~SRNNetwork.sfa_drive`,
:meth:`~SRNNetwork.std_factor`).

Modules
-------
``layout``
    :class:`SRNNLayout`, where each variable lives in the state.
``network``
    :class:`SRNNetwork`, the model: parameters, observables, vector field and Jacobian.
``equations``
    The numpy reference of the vector field and of its Jacobian-vector product.
``kernels``
    Their compiled (numba) forms, and the compiled field handed to the ODE engine.
``reference``
    The reference's default timescales and its basic example network.
"""

from netdyn.models.srnn.layout import SRNNLayout
from netdyn.models.srnn.network import ADAPTATIONS, STD_VARIANTS, SRNNetwork
from netdyn.models.srnn.reference import (
    basic_example_input,
    basic_example_network,
    sfa_timescales,
    std_timescales,
)

__all__ = [
    "ADAPTATIONS",
    "STD_VARIANTS",
    "SRNNLayout",
    "SRNNetwork",
    "basic_example_input",
    "basic_example_network",
    "sfa_timescales",
    "std_timescales",
]
