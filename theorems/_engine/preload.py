"""What the fork server of ``verify --jobs`` imports once, before it forks each worker.

A spawned worker imported torch, SciPy and every module a check may load for itself
(measured: 3.8 s of CPU per worker, most of its start). The fork server does it once;
each worker is a fork of it, with all of it loaded (:func:`settle_examples`, so a worker
draws the examples the command's own process would). One thread first: nothing here
may start a thread pool, which a fork could not carry over safely.
"""

import torch

torch.set_num_threads(1)

from theorems._engine.settle import settle_examples  # noqa: E402

settle_examples()
