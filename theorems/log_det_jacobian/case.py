"""An example of ``log-det-jacobian``: a transform of torch.distributions (built fresh from its
kind, parameters and parts) and the input it is evaluated at. Apart from the check, so that the
findings' recorded examples and the strategies need no oracle."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.distributions import transforms as T

__all__ = ["TransformCase"]


@dataclass(frozen=True)
class TransformCase:
    """A transform (``kind`` with ``params``, and ``parts`` for the composite kinds) and its input ``x``.

    ``kind`` is the class name without ``Transform`` (``"Exp"``, ``"Affine"``, …,
    ``"Identity"`` for ``identity_transform``); ``x`` is float64, batch then event.
    """

    kind: str
    x: np.ndarray
    params: tuple[tuple[str, Any], ...] = ()
    parts: tuple[TransformCase, ...] = ()

    @property
    def parameters(self) -> dict[str, Any]:
        return dict(self.params)

    def build(self) -> T.Transform:
        """A fresh transform (no cache: each call computes)."""
        values = self.parameters
        tensors = {name: torch.tensor(value, dtype=torch.float64) if isinstance(value, np.ndarray) else value for name, value in values.items()}
        kind = self.kind
        if kind == "Identity":
            return T.identity_transform
        if kind == "Compose":
            return T.ComposeTransform([part.build() for part in self.parts])
        if kind == "Independent":
            return T.IndependentTransform(self.parts[0].build(), values["reinterpreted"])
        if kind == "Cat":
            return T.CatTransform([part.build() for part in self.parts], dim=values["dim"], lengths=values["lengths"])
        if kind == "Stack":
            return T.StackTransform([part.build() for part in self.parts], dim=values["dim"])
        if kind == "CumulativeDistribution":
            return T.CumulativeDistributionTransform(torch.distributions.Normal(tensors["loc"], tensors["scale"]))
        if kind == "Reshape":
            return T.ReshapeTransform(values["in_shape"], values["out_shape"])
        if kind == "Affine":
            return T.AffineTransform(tensors["loc"], tensors["scale"], event_dim=values["event_dim"])
        if kind == "Power":
            return T.PowerTransform(tensors["exponent"])
        return getattr(T, f"{kind}Transform")()

    def input(self) -> torch.Tensor:
        return torch.tensor(self.x, dtype=torch.float64)

    def __repr__(self) -> str:
        return f"{self.spelled()} at x of shape {self.x.shape} = {_shown(self.x)}"

    def spelled(self) -> str:
        shown = ", ".join(f"{name}={_shown(value) if isinstance(value, np.ndarray) else value}" for name, value in self.params)
        inner = ", ".join(part.spelled() for part in self.parts)
        body = ", ".join(item for item in (inner and f"[{inner}]", shown) if item)
        return f"{self.kind}Transform({body})" if self.kind != "Identity" else "identity_transform"


def _shown(value: np.ndarray) -> str:
    flat = np.asarray(value).reshape(-1)
    return f"[{', '.join(f'{v:.6g}' for v in flat)}]" if flat.size <= 8 else f"<{np.shape(value)} array>"
