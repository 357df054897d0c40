"""Beyond the notes · a univariate law's cdf is the integral of its own log_prob, and its icdf inverts it (issue 27)."""
