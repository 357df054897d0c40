"""The package's optional parts, and one line naming the extra to install when one is missing.

The core (``theorems check``, :func:`theorems.check`, the pytest plugin) needs torch, numpy,
scipy and Hypothesis only. Each other feature comes with an extra of the distribution
(``pip install 'theorems[report]'``), and asks for it before it starts, so that a missing
one is a usage error in one line (exit status 2 from the command), never a traceback
minutes into a run:

=========  ==========================================  ========================================
extra      what it brings                              what needs it
=========  ==========================================  ========================================
report     Jinja2, matplotlib, latex2mathml            the HTML report (``--report``, ``verify``)
cluster    Dask distributed, the Redis client          ``--scheduler``, ``--workers``, ``redis://``
prove      SymPy                                       ``theorems prove``, ``verify --prove``
vision     torchvision                                 ``fold-network``'s resnet18 and mobilenet_v2
=========  ==========================================  ========================================

torch itself requires SymPy and Jinja2, so those two are present in every install; their
extras pin the versions this package was tested with. Most of a core install's size is
torch's own (its CUDA libraries on Linux), which no extra of this package changes.
"""

from __future__ import annotations

import importlib

__all__ = ["EXTRAS", "MissingExtra", "require"]

# The modules each extra installs (import names), as pyproject.toml's optional dependencies list them.
EXTRAS: dict[str, tuple[str, ...]] = {
    "report": ("jinja2", "matplotlib", "latex2mathml"),
    "cluster": ("distributed", "redis"),
    "prove": ("sympy",),
    "vision": ("torchvision",),
}


class MissingExtra(ImportError):
    """A feature's extra is not installed; the message is one line saying what to install."""


def require(extra: str, feature: str) -> None:
    """Import ``extra``'s modules, or raise :class:`MissingExtra` naming the extra ``feature`` needs."""
    for module in EXTRAS[extra]:
        try:
            importlib.import_module(module)
        except ImportError:
            raise MissingExtra(
                f"{feature} needs the extra [{extra}] ({module} is not installed): pip install 'theorems[{extra}]'"
            ) from None
