"""T4 · Affine-Gaussian density (Problem 4): the law of X = AY + b for a standard Gaussian Y.

The theorem's own place (found by location, :mod:`theorems._engine.registry`): ``statement`` (the
declaration, no torch), ``check`` (the mathematics, the reference and the check), and where it has
them ``catalogue`` (wrong implementations), ``findings`` (defects of real libraries) and ``figures``.
"""
