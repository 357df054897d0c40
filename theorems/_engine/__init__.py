"""The private engine: finding the theorems by location (:mod:`.registry`); running a check under
Hypothesis (:mod:`.run`, reading what it did in :mod:`.observe`), at a budget and in parts planned
by :mod:`.plan`, after the preconditions of :mod:`.preconditions`, as one of the three checks of
:mod:`.checks`, with a replay line from :mod:`.replay`; a verification's tasks, their scheduling
and its assembly (:mod:`.verify`), the same examples in every process (:mod:`.settle`); the
shared example database, the Dask cluster, the supervisor of the command and the symbolic proofs.
The doors (:mod:`theorems.api`, :mod:`theorems.cli`, the pytest plugin) call it; no theorem imports it."""
