"""Beyond the notes · every bijective transform (torch's, Pyro's, yours): the laws a bijection obeys.

The theorem's own place (found by location, :mod:`theorems._engine.registry`): ``statement`` (the
declaration, no torch), ``case`` (the example: torch's transform and a bank a class under test is
built from), ``oracle`` (autograd's Jacobians and the round trips' error bars), ``check`` (the laws,
the reference and the check), ``catalogue`` (wrong classes), ``findings`` and ``symbolic``.
"""
