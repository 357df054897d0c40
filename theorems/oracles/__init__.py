"""The oracles every theorem draws on: quadrature with its own error bars, densities, statistics
with their error rates passed in, derived tolerances, the false-alarm budget, the operators a
module runs and the vocabulary of the symbolic statements. They know no theorem; the theorems
(one package each) call them."""
