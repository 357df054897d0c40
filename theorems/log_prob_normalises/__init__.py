"""Beyond the notes · every univariate law of torch.distributions (or yours): its log_prob integrates to one.

The theorem's own place (found by location, :mod:`theorems._engine.registry`): ``statement`` (the
declaration, no torch), ``case`` (the example: a bank of parameter values per constraint), ``check``
(the oracles, the reference and the check), ``catalogue`` (wrong classes) and ``symbolic``.
"""
