"""Beyond the notes · a univariate law's ``sample()`` (and ``rsample()``) draws the law of its own ``log_prob`` (issue 27)."""
