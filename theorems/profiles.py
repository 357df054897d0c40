"""Hypothesis profiles: ``dev`` for editing, ``ci`` for the gate, ``thorough`` for depth.

``ci`` is derandomized (the same examples on every run, so a CI failure replays
locally), has no deadline (timing is measured by benchmarks, not asserted), and is the
default whenever the ``CI`` environment variable is set.
"""

from __future__ import annotations

import math
import os

from hypothesis import HealthCheck, Phase, settings

__all__ = ["PROFILES", "current_profile_name", "loaded_profile_name", "load_profile", "loaded_profile_examples", "profile_settings", "scaled"]

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

# ci's examples under a seed of the caller's choosing (``--hypothesis-seed N``):
# derandomize would override the seed. The engine's runs inside the flakiness experiment
# (``make flakiness``, gate-reseeded below); not offered as a verification profile.
INTERNAL: dict[str, settings] = {"ci-reseeded": settings(PROFILES["ci"], derandomize=False)}

# The inner loop's examples (``make quick``): ci's settings at a handful of examples per
# property, enough to run every line of a check and catch a broken edit, not to hunt for
# rare counterexamples (``make test`` does that at the gate's). Not a verification profile.
INTERNAL["quick"] = settings(PROFILES["ci"], max_examples=5)

# The gate's examples (``make test``, what CI runs): the suite's own properties at GATE_EXAMPLES
# each, while every run of the engine inside a test (``verify``, ``check``, the catalogue, the
# reference runs, the covering of every class) keeps ci's budgets, since those runs are the
# product the tests hold to its promises (ENGINE_PROFILE). 30: measured on the 2-core machine,
# the gate's properties at 100 examples cost about 150 s of its budget of 120; at 30 each still
# draws its covered classes and its extremes first, and the mutation score of the measured
# modules is unchanged (README, "Test tiers"). Not a verification profile.
GATE_EXAMPLES = 30
INTERNAL["gate"] = settings(PROFILES["ci"], max_examples=GATE_EXAMPLES)
# The gate's examples under a seed of the caller's choosing (``make flakiness``; see ci-reseeded).
INTERNAL["gate-reseeded"] = settings(INTERNAL["gate"], derandomize=False)

# The gate's examples for mutation testing (``make mutation``): a mutant is killed by the first
# failing example, so the explain phase (which only tells a person which parts of a
# counterexample matter, and costs most of a failing run's time) is skipped. Shrinking
# stays: the properties that assert a wrong implementation's counterexample is *small*
# search with the loaded profile's phases, and fail on correct code without it.
# Not offered as a verification profile.
INTERNAL["mutation"] = settings(INTERNAL["gate"], phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink])

# The profile the engine runs under while a test profile is loaded: the gate's tests exercise
# verification at ci's budgets, and its reseeded runs at ci's budgets under their seeds.
ENGINE_PROFILE = {"gate": "ci", "gate-reseeded": "ci-reseeded", "mutation": "ci"}

# Registered with Hypothesis for the project's own pytest runs (--hypothesis-profile);
# the engine never reads them back from Hypothesis's registry, where a host project may
# have registered its own profile under the same name (profile_settings).
for _name, _profile in {**PROFILES, **INTERNAL}.items():
    settings.register_profile(_name, _profile)


def profile_settings(name: str) -> settings:
    """The project's own settings for profile ``name`` (never a host project's profile of that name)."""
    found = PROFILES.get(name) or INTERNAL.get(name)
    if found is None:
        raise ValueError(f"profile={name!r} is unknown; expected one of {', '.join(PROFILES)}")
    return found


def loaded_profile_name() -> str:
    """The project profile loaded now (pytest's ``--hypothesis-profile``, :func:`load_profile`), else the default.

    A profile of another project (a host's ``default`` with its deadline) is not ours:
    then :func:`default_profile_name`.
    """
    name = getattr(settings, "_current_profile", None)  # read defensively: a private attribute
    return name if name in PROFILES or name in INTERNAL else default_profile_name()


def current_profile_name() -> str:
    """The profile a check runs under now: the loaded one, or the engine's for a test profile (ENGINE_PROFILE)."""
    name = loaded_profile_name()
    return ENGINE_PROFILE.get(name, name)


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


def scaled(fraction: float, *, minimum: int = 1, as_the_engine: bool = False) -> settings:
    """Settings running ``fraction`` of the loaded profile's examples (for costly properties).

    Applied at decoration time, so it scales whichever profile is loaded then. ``as_the_engine``:
    a fraction of the profile the engine runs under (ci's under the gate, ENGINE_PROFILE), for the
    evidence an oracle is trusted on (its comparisons with mpmath), which the gate does not thin.
    """
    base = profile_settings(current_profile_name()).max_examples if as_the_engine else settings.default.max_examples
    examples = max(minimum, math.ceil(base * fraction))
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
