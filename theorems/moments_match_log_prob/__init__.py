"""Beyond the notes · a univariate law's mean, variance, entropy and mode are those of its own log_prob (issue 27)."""
