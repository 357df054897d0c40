"""The private engine: finding the theorems by location (:mod:`.registry`), running a check under
Hypothesis (:mod:`.engine`), the shared example database, the Dask cluster, the supervisor of the
command and the symbolic proofs. The doors (:mod:`theorems.api`, :mod:`theorems.cli`, the pytest
plugin) call it; no theorem imports it."""
