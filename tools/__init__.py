"""Maintainer tools, not installed: calibration, mutation, the quadrature record, the cluster
benchmark and the float32 fold calibration, each run by a make target (``python -m tools.<name>``)
from the repository's root."""
