"""Load the Hypothesis profile before any property is collected, and pin torch to one thread.

``--hypothesis-profile NAME`` (Hypothesis's own pytest option) overrides this choice;
otherwise ``HYPOTHESIS_PROFILE``, else ``ci`` when ``CI`` is set, else ``dev``.
"""

from __future__ import annotations

import torch

from theorems.profiles import load_profile

load_profile()
# The generated tensors are tiny: intra-op threads only add synchronisation (measured
# 50x slower per fold check with 2 threads on a loaded 2-core machine), and pytest-xdist
# already gives each worker a core of its own.
torch.set_num_threads(1)
