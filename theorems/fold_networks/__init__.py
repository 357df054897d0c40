"""T1 on whole networks: every Conv/Linear → BatchNorm pair of a network folded at once (smallNet, resnet18, mobilenet_v2).

The theorem's own place (found by location, :mod:`theorems._engine.registry`): ``statement`` (the
declaration, no torch), ``check`` (the mathematics, the reference and the check), and where it has
them ``catalogue`` (wrong implementations), ``findings`` (defects of real libraries) and ``figures``.
"""
