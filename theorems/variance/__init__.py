"""T2 · Variance recursion (Problem 2): the output variance of a randomly initialised linear network, and its ReLU variant.

The theorem's own place (found by location, :mod:`theorems._engine.registry`): ``statement`` (the
declaration, no torch), ``check`` (the mathematics, the reference and the check), and where it has
them ``catalogue`` (wrong implementations), ``findings`` (defects of real libraries) and ``figures``.
"""
