"""Load the Hypothesis profile before any property is collected.

``--hypothesis-profile NAME`` (Hypothesis's own pytest option) overrides this choice;
otherwise ``HYPOTHESIS_PROFILE``, else ``ci`` when ``CI`` is set, else ``dev``.
"""

from __future__ import annotations

from theorems.profiles import load_profile

load_profile()
