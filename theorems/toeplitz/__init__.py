"""T3 · Toeplitz gradient (Problem 3): a 1-D filter's gradient is the sum of the diagonals of the Toeplitz matrix's gradient.

The theorem's own place (found by location, :mod:`theorems._engine.registry`): ``statement`` (the
declaration, no torch), ``check`` (the mathematics, the reference and the check), and where it has
them ``catalogue`` (wrong implementations), ``findings`` (defects of real libraries) and ``figures``.
"""
