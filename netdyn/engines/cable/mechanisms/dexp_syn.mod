: Double-exponential conductance synapse (AMPA, GABA-A) for netdyn's cable engine.
: g(t) = w f (exp(-t/tau_decay) - exp(-t/tau_rise)) after an event of weight w (uS) at t = 0,
: f normalises the peak of the bracket to 1, so w is the peak conductance (uS).
: i = g (v - e) in nA, positive outward (Arbor/NEURON convention).
: g_uS and i_nA copy the conductance and the current so that probes can read them.

NEURON {
    POINT_PROCESS dexp_syn
    NONSPECIFIC_CURRENT i
    RANGE tau_rise, tau_decay, e
}

UNITS {
    (mV) = (millivolt)
}

PARAMETER {
    tau_rise = 0.5 (ms)
    tau_decay = 5 (ms)
    e = 0 (mV)
}

ASSIGNED {
    factor
    g_uS
    i_nA
}

STATE { A B }

INITIAL {
    LOCAL tp
    A = 0
    B = 0
    g_uS = 0
    i_nA = 0
    tp = (tau_rise*tau_decay)/(tau_decay - tau_rise) * log(tau_decay/tau_rise)
    factor = 1 / (exp(-tp/tau_decay) - exp(-tp/tau_rise))
}

BREAKPOINT {
    SOLVE state METHOD cnexp
    g_uS = B - A
    i = g_uS*(v - e)
    i_nA = i
}

DERIVATIVE state {
    A' = -A/tau_rise
    B' = -B/tau_decay
}

NET_RECEIVE(weight) {
    A = A + weight*factor
    B = B + weight*factor
}
