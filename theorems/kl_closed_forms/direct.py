"""A frozen scipy.stats continuous law whose log-density and log-tails skip scipy's per-call argument handling.

The quantile cubature evaluates ``ppf``/``isf``, ``logpdf``, ``logcdf`` and ``logsf`` of one law thousands of
times on small arrays (:func:`theorems.kl_closed_forms.quantiles.quantile`'s Newton steps, the
integrand at each batch of nodes). scipy's public methods re-parse, re-validate and broadcast
the law's parameters and gather the points inside the support (``argsreduce``) on every
call: most of their cost at these sizes. :class:`DirectLaw` checks the parameters once and
then computes exactly what scipy's generic ``rv_continuous`` methods do (scipy 1.17: the same
standardised point ``(x − loc)/scale``, the same masks, the same family formula
``_logpdf``/``_logcdf``/``_logsf``/``_ppf``/``_isf`` on the same points, the same ``log(scale)``
and ``· scale + loc``), so every value is bit-for-bit scipy's (tests/kl_closed_forms pin it).

The family formulas are scipy's private methods: scipy.special has the pieces of each, but
re-writing a dozen families' formulas (Beta's tails are Boost's incomplete beta behind scipy's
own wrappers) would make values that differ in the last bits from the ones the oracle was
compared with mpmath on; calling the family's own formula keeps them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy
from scipy.stats._distn_infrastructure import rv_continuous_frozen

from theorems.kl_closed_forms.families import _Written

__all__ = ["DirectLaw", "direct"]

# The scipy whose generic methods DirectLaw repeats (tests/kl_closed_forms/test_kl_direct_laws.py pins
# it bit for bit). Under another scipy the laws keep their public methods: slower, never different.
MIRRORED = scipy.__version__.split(".")[:2] == ["1", "17"]


class DirectLaw:
    """``law`` (a frozen continuous scipy.stats law with valid parameters), its ``logpdf``,
    ``logcdf``, ``logsf``, ``ppf`` and ``isf`` computed directly; everything else is the frozen law's own."""

    def __init__(self, law: rv_continuous_frozen) -> None:
        self.law = law
        dist = law.dist
        shapes, loc, scale = dist._parse_args(*law.args, **law.kwds)
        self._dist = dist
        # As scipy's methods pass them: the shapes as arrays to the support and its masks, and
        # (after argsreduce) as 1-element arrays, with the scale, to the formulas.
        self._arguments = tuple(np.asarray(shape) for shape in shapes)
        self._shapes = tuple(np.atleast_1d(shape) for shape in self._arguments)
        self._loc, self._scale = np.asarray(loc), np.asarray(scale)
        self._log_scale = np.log(np.atleast_1d(self._scale))
        self._low, self._high = dist._get_support(*self._arguments)
        self._bounds = (self._low * self._scale + self._loc, self._high * self._scale + self._loc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.law, name)

    def _standardised(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        return np.asarray((x - self._loc) / self._scale, dtype=np.promote_types(x.dtype, np.float64))

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        z = self._standardised(x)
        inside = self._dist._support_mask(z, *self._arguments)
        output = np.full(z.shape, -np.inf)
        output[np.isnan(z)] = np.nan
        if np.any(inside):
            output[inside] = self._dist._logpdf(z[inside], *self._shapes) - self._log_scale
        return output[()] if output.ndim == 0 else output

    def logcdf(self, x: np.ndarray) -> np.ndarray:
        z = self._standardised(x)
        return self._tail(z, self._dist._logcdf, z >= self._high)

    def logsf(self, x: np.ndarray) -> np.ndarray:
        z = self._standardised(x)
        return self._tail(z, self._dist._logsf, z <= self._low)

    def ppf(self, q: np.ndarray) -> np.ndarray:
        return self._inverse(q, self._dist._ppf, self._bounds)

    def isf(self, q: np.ndarray) -> np.ndarray:
        return self._inverse(q, self._dist._isf, self._bounds[::-1])

    def _inverse(self, q: np.ndarray, formula: Any, ends: tuple[Any, Any]) -> np.ndarray:
        """A quantile: ``ends`` (the support's ends as points) at 0 and 1, NaN outside [0, 1]."""
        q = np.asarray(q)
        output = np.full(q.shape, self._dist.badvalue)
        output[q == 0], output[q == 1] = ends
        inside = (0 < q) & (q < 1)
        if np.any(inside):
            output[inside] = formula(q[inside], *self._shapes) * self._scale + self._loc
        return output[()] if output.ndim == 0 else output

    def _tail(self, z: np.ndarray, formula: Any, certain: np.ndarray) -> np.ndarray:
        """A log-tail: −∞ below the support's open interval, 0 where the tail is certain, NaN at NaN."""
        inside = self._dist._open_support_mask(z, *self._arguments)
        output = np.full(z.shape, -np.inf)
        output[np.isnan(z)] = np.nan
        output[certain] = 0.0
        if np.any(inside):
            output[inside] = formula(z[inside], *self._shapes)
        return output[()] if output.ndim == 0 else output


def direct(law: Any) -> Any:
    """``law`` with its log-density and log-tails computed directly where it is a frozen continuous
    scipy.stats law with valid parameters (a written-out law is wrapped inside, a law already
    direct or of another kind is returned as it is)."""
    if MIRRORED and isinstance(law, rv_continuous_frozen) and _valid(law):
        return DirectLaw(law)
    if isinstance(law, _Written) and not isinstance(law.law, DirectLaw):
        return _Written(direct(law.law), law.logpdf)
    return law


def _valid(law: rv_continuous_frozen) -> bool:
    """Parameters scipy accepts (else its methods give NaN, which the frozen law's own give)."""
    shapes, _, scale = law.dist._parse_args(*law.args, **law.kwds)
    return bool(np.all(law.dist._argcheck(*map(np.asarray, shapes)) & (np.asarray(scale) > 0)))
