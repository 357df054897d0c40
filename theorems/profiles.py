"""Hypothesis profiles: ``dev`` for editing, ``ci`` for the gate, ``thorough`` for depth.

``ci`` is derandomized (the same examples on every run, so a CI failure replays
locally), has no deadline (timing is measured by benchmarks, not asserted), and is the
default whenever the ``CI`` environment variable is set.
"""

from __future__ import annotations

import math
import os

from hypothesis import HealthCheck, Phase, settings

__all__ = ["PROFILES", "load_profile", "loaded_profile_examples", "scaled"]

PROFILES: dict[str, settings] = {
    "dev": settings(max_examples=20, deadline=None),
    "ci": settings(
        max_examples=100,
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    ),
    "thorough": settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow]),
}

for _name, _profile in PROFILES.items():
    settings.register_profile(_name, _profile)

# ci's examples under a seed of the caller's choosing (``--hypothesis-seed N``):
# derandomize would override the seed. Twenty such runs are the flakiness experiment
# (``make flakiness``); not offered as a verification profile.
settings.register_profile("ci-reseeded", settings(PROFILES["ci"], derandomize=False))

# ci's examples for mutation testing (``make mutation``): a mutant is killed by the first
# failing example, so the explain phase (which only tells a person which parts of a
# counterexample matter, and costs most of a failing run's time) is skipped. Shrinking
# stays: the properties that assert a wrong implementation's counterexample is *small*
# search with the loaded profile's phases, and fail on correct code without it.
# Not offered as a verification profile.
settings.register_profile(
    "mutation",
    settings(PROFILES["ci"], phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]),
)


def default_profile_name() -> str:
    """``HYPOTHESIS_PROFILE`` if set, else ``ci`` under CI, else ``dev``."""
    return os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")


def load_profile(name: str | None = None) -> str:
    """Load a profile by name (default: :func:`default_profile_name`) and return its name."""
    name = name or default_profile_name()
    if name not in PROFILES:
        raise ValueError(f"profile={name!r} is unknown; expected one of {', '.join(PROFILES)}")
    settings.load_profile(name)
    return name


def scaled(fraction: float, *, minimum: int = 1) -> settings:
    """Settings running ``fraction`` of the loaded profile's examples (for costly properties).

    Applied at decoration time, so it scales whichever profile is loaded then.
    """
    examples = max(minimum, math.ceil(settings.default.max_examples * fraction))
    return settings(max_examples=examples)


def loaded_profile_examples() -> int:
    """``max_examples`` of the loaded profile, even inside a test running scaled settings.

    Inside a running test ``settings.default`` is that test's own settings, so the
    profile is looked up by the name Hypothesis recorded when it was loaded (by
    :func:`load_profile` or by pytest's ``--hypothesis-profile``); read defensively.
    """
    name = getattr(settings, "_current_profile", None)
    try:
        return settings.get_profile(name).max_examples if name else settings.default.max_examples
    except Exception:  # a private attribute of Hypothesis: fall back to the active settings
        return settings.default.max_examples
