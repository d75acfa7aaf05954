: Single-electrode voltage clamp through a series resistance for netdyn's cable engine:
:   i = (v - vc)/rs   (nA with mV and MOhm; positive outward, i.e. out of the cell into the
:   electrode). i_nA copies the current so that probes can read it. The clamp holds v_hold:
:   vc from the start, and the weight of each event (mV) from the start of the event's time
:   step on (voltage steps).

NEURON {
    POINT_PROCESS seclamp
    NONSPECIFIC_CURRENT i
    RANGE vc, rs
}

UNITS {
    (mV) = (millivolt)
    (nA) = (nanoamp)
    (MOhm) = (megaohm)
}

PARAMETER {
    vc = -70 (mV)
    rs = 0.01 (MOhm)
}

ASSIGNED {
    v_hold
    i_nA
}

INITIAL {
    v_hold = vc
    i_nA = 0
}

BREAKPOINT {
    i = (v - v_hold)/rs
    i_nA = i
}

NET_RECEIVE(weight) {
    v_hold = weight
}
