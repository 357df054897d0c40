"""The oracles every theorem draws on: quadrature with its own error bars, densities, statistics
with their error rates passed in, derived tolerances, the false-alarm budget and the operators a
module runs. They know no theorem; the theorems (one package each) call them."""
