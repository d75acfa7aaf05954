: Kinetic NMDA receptor with a slow magnesium block (Kampa, Clements, Jonas & Stuart 2004,
: J Physiol 556:337; rates at 37 degC as used by Branco, Clark & Hausser 2010, ModelDB 140828)
: for netdyn's cable engine.
:
: Ten states, fractions of the receptors at the synapse: U (unbound), Cl (glutamate bound,
: closed), O (open), D1 and D2 (fast and slow desensitised), and the same five with a
: magnesium ion in the pore (UMg, ClMg, OMg, D1Mg, D2Mg). Thirteen reversible transitions:
:
:     U  <-> Cl   <-> O           binding (kb C, ku), opening (ko, kc)
:            Cl   <-> D1 <-> D2   desensitisation (kd1, kr1; kd2, kr2)
:     UMg <-> ClMg <-> OMg        the same with Mg bound (kb C, ku_mg; ko, kc)
:            ClMg <-> D1Mg <-> D2Mg                      (kd1_mg, kr1_mg; kd2_mg, kr2_mg)
:     X <-> XMg for X in U, Cl, D1, D2 (kbc mg fb(v), kuc fu(v)); O <-> OMg (kbo mg fb(v), kuo fu(v))
:
: with the Woodhull voltage dependence of Mg binding and unbinding, relative to +40 mV:
:     fb(v) = exp(-z delta (v - 40) / vs),   fu(v) = exp(z (1 - delta) (v - 40) / vs)
: (z = 2, delta = 0.8 the electrical distance of the site, vs = 25 mV).
:
: Transmitter: Arbor has no POINTER, so the cleft is inside the mechanism. Each event sets
: the concentration to c_mM for pulse_ms (a square pulse, as NEURON's release_BMK.mod with
: Branco's amp 2 mM, dur 0.5 ms): tleft holds the pulse time left, decremented by dt in each
: state update; the pulse acts on the updates with more than half a step left, i.e. on the
: round(pulse_ms / dt) time steps from the event's step on. An event during a pulse restarts
: it (the concentration does not add up).
:
: Numerics: METHOD sparse, backward Euler on the linear system of the ten states (rates
: frozen over a step at the new voltage), with the conservation law replacing one equation,
: as NEURON's sparse. INITIAL: no transmitter, so only U <-> UMg carries receptors; they
: start at its equilibrium at the initial voltage.
:
: Units (Arbor point process): gmax uS, conductance g_uS = gmax w O (uS), current
: i = g_uS (v - e) in nA, positive outward; w is the weight of the latest event
: (dimensionless; 0 before the first). Concentrations mM, rates /ms or /mM/ms. i_nA copies
: the current so that probes can read it.

NEURON {
    POINT_PROCESS nmda_kampa
    NONSPECIFIC_CURRENT i
    RANGE gmax, e, mg, c_mM, pulse_ms
}

UNITS {
    (mV) = (millivolt)
    (nA) = (nanoamp)
    (uS) = (microsiemens)
    (mM) = (milli/liter)
}

PARAMETER {
    gmax = 0.008 (uS)          : 8000 pS, Branco et al. 2010
    e = 5 (mV)                 : reversal potential
    mg = 1 (mM)                : extracellular magnesium
    c_mM = 2 (mM)              : transmitter concentration during a pulse
    pulse_ms = 0.5 (ms)        : pulse duration

    kb = 10 (/mM/ms)           : glutamate binding, without and with Mg
    ku = 0.02016 (/ms)         : unbinding
    ku_mg = 0.06156 (/ms)      : unbinding with Mg
    ko = 0.0465 (/ms)          : opening, without and with Mg
    kc = 0.0916 (/ms)          : closing, without and with Mg
    kd1 = 0.02266 (/ms)        : fast desensitisation
    kr1 = 0.00736 (/ms)        : its recovery
    kd2 = 0.004429 (/ms)       : slow desensitisation
    kr2 = 0.0023 (/ms)         : its recovery
    kd1_mg = 0.02163 (/ms)     : the same with Mg bound
    kr1_mg = 0.004002 (/ms)
    kd2_mg = 0.002678 (/ms)
    kr2_mg = 0.001932 (/ms)
    kbo = 0.05 (/mM/ms)        : Mg binding to the open pore at +40 mV
    kuo = 12.8 (/ms)           : Mg unbinding from the open pore at +40 mV
    kbc = 0.00005 (/mM/ms)     : Mg binding to closed and desensitised receptors at +40 mV
    kuc = 0.06 (/ms)           : Mg unbinding from them at +40 mV
    z = 2                      : valence of Mg
    delta = 0.8                : electrical distance of the Mg site
    vs = 25 (mV)               : voltage scale
}

ASSIGNED {
    w
    g_uS
    i_nA
}

STATE { U Cl O D1 D2 UMg ClMg OMg D1Mg D2Mg tleft }

INITIAL {
    LOCAL on, off
    on = kbc*mg*exp(-z*delta*(v - 40)/vs)
    off = kuc*exp(z*(1 - delta)*(v - 40)/vs)
    U = off/(on + off)
    UMg = on/(on + off)
    Cl = 0
    O = 0
    D1 = 0
    D2 = 0
    ClMg = 0
    OMg = 0
    D1Mg = 0
    D2Mg = 0
    tleft = 0
    w = 0
    g_uS = 0
    i_nA = 0
}

BREAKPOINT {
    SOLVE scheme METHOD sparse
    g_uS = gmax*w*O
    i = g_uS*(v - e)
    i_nA = i
}

KINETIC scheme {
    LOCAL bind, fb, fu
    bind = 0
    if (tleft > 0.5*dt) {
        bind = kb*c_mM
    }
    tleft = tleft - dt
    fb = mg*exp(-z*delta*(v - 40)/vs)
    fu = exp(z*(1 - delta)*(v - 40)/vs)

    ~ U <-> Cl (bind, ku)
    ~ Cl <-> O (ko, kc)
    ~ Cl <-> D1 (kd1, kr1)
    ~ D1 <-> D2 (kd2, kr2)
    ~ UMg <-> ClMg (bind, ku_mg)
    ~ ClMg <-> OMg (ko, kc)
    ~ ClMg <-> D1Mg (kd1_mg, kr1_mg)
    ~ D1Mg <-> D2Mg (kd2_mg, kr2_mg)
    ~ U <-> UMg (kbc*fb, kuc*fu)
    ~ Cl <-> ClMg (kbc*fb, kuc*fu)
    ~ D1 <-> D1Mg (kbc*fb, kuc*fu)
    ~ D2 <-> D2Mg (kbc*fb, kuc*fu)
    ~ O <-> OMg (kbo*fb, kuo*fu)

    CONSERVE U + Cl + O + D1 + D2 + UMg + ClMg + OMg + D1Mg + D2Mg = 1
}

NET_RECEIVE(weight) {
    w = weight
    tleft = pulse_ms
}
