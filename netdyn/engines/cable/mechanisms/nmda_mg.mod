: NMDA receptor synapse with the voltage-dependent magnesium block (Jahr & Stevens 1990 form)
: for netdyn's cable engine: a double-exponential conductance normalised to peak w (uS),
:   i = g (v - e) / (1 + etaMg cMg exp(-v/V0))   (nA, positive outward).
: g_uS and i_nA copy the unblocked conductance and the current so that probes can read them.

NEURON {
    POINT_PROCESS nmda_mg
    NONSPECIFIC_CURRENT i
    RANGE tau_rise, tau_decay, e, cMg, etaMg, V0
}

UNITS {
    (mV) = (millivolt)
    (mM) = (milli/liter)
}

PARAMETER {
    tau_rise = 3 (ms)
    tau_decay = 70 (ms)
    e = 0 (mV)
    cMg = 1 (mM)
    etaMg = 0.33 (/mM)
    V0 = 12.5 (mV)
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
    i = g_uS*(v - e)/(1 + etaMg*cMg*exp(-v/V0))
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
