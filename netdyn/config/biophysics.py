"""What a cell's membrane and synapses are: passive cable, Hodgkin-Huxley channels, AMPA,
NMDA and GABA-A conductances, and how the tree is cut into compartments.

Units are in the field names: pS/um^2 for membrane conductance densities (1 pS/um^2 =
1 S/m^2 = 1e-4 S/cm^2 = 0.1 mS/cm^2), uF/cm^2, Ohm cm, mV, ms, nS.

Equations (V in mV; per unit membrane area for the channels, per synapse for the
conductances)::

    cm dV/dt = -g_leak (V - e_leak) - I_HH + axial currents           (cable equation)
    I_HH     = g_na m^3 h (V - e_na) + g_k n^4 (V - e_k)               (Traub & Miles 1991 kinetics)
    g_syn(t) = q f (exp(-t/tau_decay) - exp(-t/tau_rise))               (each presynaptic spike at t = 0)
    I_AMPA   = g_AMPA (V - e_rev),  I_GABA = g_GABA (V - e_rev)
    I_NMDA   = g_NMDA (V - e_rev) / (1 + eta_mg c_mg exp(-V / v0))      (magnesium block, Jahr & Stevens 1990)

``f`` normalises the double exponential to a peak of 1, so ``q`` is the peak conductance of
one event (nS). The NMDA block follows the form and the values of the library this study
grows from (eta_mg = 0.33 /mM, c_mg = 1 mM, v0 = 12.5 mV, i.e. exp(-0.08 V)).

NMDA receptors have two models, chosen by ``Synapses.nmda.model``: ``"double_exponential"``
(:class:`NMDA`, the equations above, an instantaneous block) and ``"kampa2004"``
(:class:`KineticNMDA`, the ten-state kinetic scheme of Kampa et al. 2004 with a slow
magnesium block, driven by a square pulse of transmitter).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Field, Tag, model_validator

from netdyn.config.base import Spec
from netdyn.errors import ConfigError

__all__ = ["REGIONS", "Biophysics", "DoubleExponential", "HodgkinHuxley", "KineticNMDA", "NMDA", "Passive", "PassiveRegion", "Synapses"]

#: Named parts of a cell (SWC types): where channels are inserted.
REGIONS = ("soma", "axon", "basal", "apical", "dend", "all")
Region = Literal["soma", "axon", "basal", "apical", "dend", "all"]


#: SWC types of each named region that passive parameters can be set on.
REGION_TAGS = {"soma": (1,), "axon": (2,), "basal": (3,), "apical": (4,), "dend": (3, 4)}


class PassiveRegion(Spec):
    """Passive parameters of one region that differ from the rest of the cell (None: the
    cell's value). Typical uses: a leaky axon, or a dendritic capacitance doubled to account
    for spines (Branco, Clark & Hausser 2010 did both)."""

    g_leak_pS_per_um2: float | None = Field(None, gt=0.0, description="leak conductance density (pS/um^2)")
    cm_uF_per_cm2: float | None = Field(None, gt=0.0, description="specific membrane capacitance (uF/cm^2)")
    ri_ohm_cm: float | None = Field(None, gt=0.0, description="axial resistivity (Ohm cm)")


class Passive(Spec):
    """Passive membrane and axial resistivity: the cell's values, and optionally other values
    on some regions (``regions``; a region named by its SWC type, soma, axon, basal or apical,
    wins over ``dend``, which covers basal and apical dendrites)."""

    g_leak_pS_per_um2: float = Field(0.29, gt=0.0, description="leak conductance density (pS/um^2; 1 pS/um^2 = 1e-4 S/cm^2)")
    e_leak_mV: float = Field(-75.0, description="leak reversal potential (mV)")
    cm_uF_per_cm2: float = Field(0.91, gt=0.0, description="specific membrane capacitance (uF/cm^2)")
    ri_ohm_cm: float = Field(100.0, gt=0.0, description="axial resistivity (Ohm cm)")
    v_init_mV: float | None = Field(None, description="initial membrane potential (mV); none: e_leak_mV")
    regions: dict[Literal["soma", "axon", "basal", "apical", "dend"], PassiveRegion] = Field(
        default_factory=dict, description="values that differ on some regions, e.g. {axon = {g_leak_pS_per_um2 = "
        "200}, dend = {cm_uF_per_cm2 = 2}}")

    @property
    def v_rest_mV(self) -> float:
        return self.e_leak_mV if self.v_init_mV is None else self.v_init_mV

    def for_tag(self, tag: int) -> tuple[float, float, float]:
        """(g_leak_pS_per_um2, cm_uF_per_cm2, ri_ohm_cm) on membrane of SWC type ``tag``."""
        values = {"g_leak_pS_per_um2": self.g_leak_pS_per_um2, "cm_uF_per_cm2": self.cm_uF_per_cm2,
                  "ri_ohm_cm": self.ri_ohm_cm}
        # the broader region first, so that a region of one type overrides it
        for name in sorted(self.regions, key=lambda r: len(REGION_TAGS[r]), reverse=True):
            if int(tag) in REGION_TAGS[name]:
                values.update({k: v for k, v in self.regions[name].model_dump().items() if v is not None})
        return values["g_leak_pS_per_um2"], values["cm_uF_per_cm2"], values["ri_ohm_cm"]


class HodgkinHuxley(Spec):
    """Sodium and potassium channels with the Traub & Miles (1991) kinetics, shifted by
    ``vt_mV`` (the convention of Destexhe & Pare 1999) and sped up by ``tadj``."""

    g_na_pS_per_um2: float = Field(1500.0, ge=0.0, description="sodium conductance density (pS/um^2)")
    g_k_pS_per_um2: float = Field(200.0, ge=0.0, description="potassium conductance density (pS/um^2)")
    e_na_mV: float = Field(50.0, description="sodium reversal potential (mV)")
    e_k_mV: float = Field(-100.0, description="potassium reversal potential (mV)")
    vt_mV: float = Field(-52.0, description="threshold shift of the kinetics (mV)")
    tadj: float = Field(3.0 ** ((34.0 - 36.0) / 10.0), gt=0.0, description="temperature factor of the rates (Q10 = 3, 36 -> 34 degC)")
    regions: tuple[Region, ...] = Field(("soma",), min_length=1, description="where the channels are: soma, axon, basal, apical, dend (basal and apical), all")


class DoubleExponential(Spec):
    """A synaptic conductance with a double-exponential time course; ``q_nS`` is its peak."""

    q_nS: float = Field(1.0, ge=0.0, description="peak conductance of one event (nS)")
    tau_rise_ms: float = Field(0.5, gt=0.0, description="rise time constant (ms)")
    tau_decay_ms: float = Field(5.0, gt=0.0, description="decay time constant (ms)")
    e_rev_mV: float = Field(0.0, description="reversal potential (mV)")

    @model_validator(mode="after")
    def _rise_before_decay(self) -> "DoubleExponential":
        if not self.tau_rise_ms < self.tau_decay_ms:
            raise ConfigError("tau_rise_ms", self.tau_rise_ms, f"must be < tau_decay_ms={self.tau_decay_ms}")
        return self


class NMDA(DoubleExponential):
    """NMDA conductance with the voltage-dependent magnesium block: a double exponential
    times the instantaneous block of Jahr & Stevens (1990) (``model = "double_exponential"``,
    the default, which a table without ``model`` gets)."""

    model: Literal["double_exponential"] = Field("double_exponential", description="which NMDA model")
    q_nS: float = Field(2.7, ge=0.0, description="peak conductance of one event without block (nS); the library's NMDA/AMPA ratio 2.7")
    tau_rise_ms: float = Field(3.0, gt=0.0, description="rise time constant (ms)")
    tau_decay_ms: float = Field(70.0, gt=0.0, description="decay time constant (ms)")
    c_mg_mM: float = Field(1.0, ge=0.0, description="extracellular magnesium concentration (mM)")
    eta_mg_per_mM: float = Field(0.33, ge=0.0, description="block strength per mM (1/mM)")
    v0_mV: float = Field(12.5, gt=0.0, description="voltage scale of the unblock (mV)")


class KineticNMDA(Spec):
    """NMDA receptors as the ten-state kinetic scheme of Kampa, Clements, Jonas & Stuart
    (2004, J Physiol 556:337), with the rates at 37 degC of Branco, Clark & Hausser (2010,
    ModelDB 140828), which are the defaults here (``model = "kampa2004"``).

    States (fractions of the synapse's receptors): unbound U, glutamate-bound closed Cl,
    open O, desensitised D1 (fast) and D2 (slow), and each of them with a magnesium ion in
    the pore (UMg, ClMg, OMg, D1Mg, D2Mg)::

        U  <-> Cl   <-> O      Cl   <-> D1   <-> D2        (glutamate C binds U and UMg)
        UMg <-> ClMg <-> OMg   ClMg <-> D1Mg <-> D2Mg
        X <-> XMg  for X = U, Cl, O, D1, D2                (Mg binding ~ c_mg exp(-0.064 (V - 40)),
                                                            unbinding ~ exp(0.016 (V - 40)))

    The magnesium ion binds and leaves closed receptors slowly (tens of ms at rest), so the
    block lags the voltage, unlike the instantaneous block of :class:`NMDA`. Conductance
    ``g = gmax_nS * weight * O``, current ``g (V - e_rev_mV)``. Each presynaptic spike
    releases a square pulse of ``transmitter_mM`` glutamate for ``pulse_ms`` (as Branco's
    ``release_BMK``; a spike during a pulse restarts it). Receptors start with no
    transmitter, U and UMg at their equilibrium at the initial voltage.
    """

    model: Literal["kampa2004"] = Field("kampa2004", description="which NMDA model")
    gmax_nS: float = Field(8.0, ge=0.0, description="conductance of all receptors open (nS); Branco et al. 2010: 8 nS "
                           "(8000 pS; the open probability peaks near 0.2)")
    e_rev_mV: float = Field(5.0, description="reversal potential (mV)")
    c_mg_mM: float = Field(1.0, ge=0.0, description="extracellular magnesium concentration (mM)")
    transmitter_mM: float = Field(2.0, gt=0.0, description="glutamate concentration during a release pulse (mM)")
    pulse_ms: float = Field(0.5, gt=0.0, description="duration of a release pulse (ms)")


def _nmda_model(value: Any) -> str:
    """The ``model`` tag of an NMDA table or record; a table without one is the double exponential."""
    if isinstance(value, dict):
        return value.get("model", "double_exponential")
    return getattr(value, "model", "double_exponential")


#: An NMDA model, told apart by its ``model`` field (default: the double exponential).
NMDAModel = Annotated[Union[Annotated[NMDA, Tag("double_exponential")], Annotated[KineticNMDA, Tag("kampa2004")]],
                      Discriminator(_nmda_model, custom_error_type="nmda_model",
                                    custom_error_message="model must be 'double_exponential' or 'kampa2004'")]


class Synapses(Spec):
    """The receptor kinds an input can carry. An excitatory input opens AMPA and, when its
    receptors include it, NMDA at the same site; an inhibitory one opens GABA-A."""

    ampa: DoubleExponential = Field(default_factory=DoubleExponential)
    nmda: NMDAModel = Field(default_factory=NMDA, description="NMDA receptors: the double exponential with an "
                            "instantaneous Mg block (model = 'double_exponential', the default) or the kinetic "
                            "scheme of Kampa et al. 2004 (model = 'kampa2004')")
    gaba: DoubleExponential = Field(default_factory=lambda: DoubleExponential(q_nS=1.0, tau_rise_ms=0.5, tau_decay_ms=5.0, e_rev_mV=-80.0))


class Biophysics(Spec):
    """A cell's membrane, channels, synapses and compartments.

    Compartments: every branch is cut into ``ceil(length / compartment_length_um)`` equal
    compartments, or, with ``d_lambda`` set, into the smallest odd number with each no longer
    than ``d_lambda`` times the AC length constant at ``d_lambda_freq_hz`` (NEURON's d_lambda
    rule, Hines & Carnevale 2001).
    """

    passive: Passive = Field(default_factory=Passive)
    hh: HodgkinHuxley | None = Field(None, description="Hodgkin-Huxley channels; none: passive cell")
    synapses: Synapses = Field(default_factory=Synapses)
    compartment_length_um: float = Field(10.0, gt=0.0, description="longest compartment (um)")
    d_lambda: float | None = Field(None, gt=0.0, description="d_lambda rule instead of compartment_length_um (e.g. 0.1)")
    d_lambda_freq_hz: float = Field(100.0, gt=0.0, description="frequency of the d_lambda rule's length constant (Hz)")
