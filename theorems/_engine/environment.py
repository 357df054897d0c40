"""The environment a verification ran in: library versions, the profile and the seed."""

from __future__ import annotations

import datetime
import platform
from importlib import metadata

from theorems.profiles import profile_settings

__all__ = ["environment"]

LIBRARIES = ("torch", "numpy", "scipy", "hypothesis", "matplotlib", "jinja2", "latex2mathml")


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def platform_name() -> str:
    """``Linux-6.1.0-x86_64``: the system, its release and the machine, from ``uname(2)``.

    Not ``platform.platform()``: it asks for the processor too, which on Linux runs
    ``uname -p`` in a subprocess, a process started by every check that names its environment.
    """
    uname = platform.uname()  # the processor is computed only when read
    return f"{uname.system}-{uname.release}-{uname.machine}"


def environment(*, profile: str, seed: int | None, max_examples: int | None = None, command: str | None = None) -> dict[str, str]:
    """Versions of the libraries that decide the results, and how examples were drawn."""
    found = {name: _version(name) for name in LIBRARIES}
    found["python"] = platform.python_version()
    found["platform"] = platform_name()
    found["profile"] = profile
    chosen = profile_settings(profile)
    found["max_examples"] = str(max_examples or chosen.max_examples)
    found["seed"] = "derandomized (fixed by the profile)" if chosen.derandomize else str(seed)
    if command:
        found["command"] = command
    found["date"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return found
