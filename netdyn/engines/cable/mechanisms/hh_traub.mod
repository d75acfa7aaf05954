: Hodgkin-Huxley sodium and potassium channels with the Traub & Miles (1991) kinetics,
: shifted by vt (Destexhe & Pare 1999) and sped up by tadj, for netdyn's cable engine.
: With v2 = v - vt (mV), rates per ms times tadj:
:   am = 0.32 (13 - v2)/(exp((13 - v2)/4) - 1)    bm = 0.28 (v2 - 40)/(exp((v2 - 40)/5) - 1)
:   an = 0.032 (15 - v2)/(exp((15 - v2)/5) - 1)   bn = 0.5 exp((10 - v2)/40)
:   ah = 0.128 exp((17 - v2)/18)                  bh = 4/(1 + exp((40 - v2)/5))
:   i = gnabar m^3 h (v - ena) + gkbar n^4 (v - ek)   (mA/cm2, positive outward)
: The removable singularities x/(exp(x/y) - 1) at x = 0 are guarded (vtrap).

NEURON {
    SUFFIX hh_traub
    NONSPECIFIC_CURRENT i
    RANGE gnabar, gkbar, ena, ek, vt, tadj
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (S) = (siemens)
}

PARAMETER {
    gnabar = 0.15 (S/cm2)
    gkbar = 0.02 (S/cm2)
    ena = 50 (mV)
    ek = -100 (mV)
    vt = -52 (mV)
    tadj = 1
}

STATE { m h n }

ASSIGNED {
    minf mtau hinf htau ninf ntau
}

INITIAL {
    rates(v)
    m = minf
    h = hinf
    n = ninf
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    i = gnabar*m*m*m*h*(v - ena) + gkbar*n*n*n*n*(v - ek)
}

DERIVATIVE states {
    rates(v)
    m' = (minf - m)/mtau
    h' = (hinf - h)/htau
    n' = (ninf - n)/ntau
}

PROCEDURE rates(v) {
    LOCAL v2, am, bm, ah, bh, an, bn
    v2 = v - vt
    am = 0.32*vtrap(13 - v2, 4)
    bm = 0.28*vtrap(v2 - 40, 5)
    an = 0.032*vtrap(15 - v2, 5)
    bn = 0.5*exp((10 - v2)/40)
    ah = 0.128*exp((17 - v2)/18)
    bh = 4/(1 + exp((40 - v2)/5))
    mtau = 1/((am + bm)*tadj)
    minf = am/(am + bm)
    htau = 1/((ah + bh)*tadj)
    hinf = ah/(ah + bh)
    ntau = 1/((an + bn)*tadj)
    ninf = an/(an + bn)
}

FUNCTION vtrap(x, y) {
    : x/(exp(x/y) - 1), and its limit y (1 - x/(2 y)) near x = 0
    if (fabs(x/y) < 1e-6) {
        vtrap = y*(1 - x/y/2)
    } else {
        vtrap = x/(exp(x/y) - 1)
    }
}
