: Single-electrode voltage clamp through a series resistance for netdyn's cable engine:
:   i = (v - vc)/rs   (nA with mV and MOhm; positive outward, i.e. out of the cell into the
:   electrode). i_nA copies the current so that probes can read it.

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
    i_nA
}

INITIAL {
    i_nA = 0
}

BREAKPOINT {
    i = (v - vc)/rs
    i_nA = i
}
