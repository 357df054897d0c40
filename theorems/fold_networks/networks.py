"""The notes' network (Problem 1), and the calibration of a network's BatchNorm statistics.

:class:`SmallNetTrain` and :class:`SmallNetTest`: conv–BN–ReLU twice, Linear–BN1d–ReLU,
Linear–ReLU on CIFAR-10-shaped inputs; :func:`small_net_test_from` is the notes' fold of one
into the other, layer by layer.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from theorems.fold.check import fold_conv, fold_linear

__all__ = ["SmallNetTest", "SmallNetTrain", "calibrate", "small_net_test_from"]


class SmallNetTrain(nn.Module):
    """The notes' ``smallNetTrain``: conv–BN–ReLU ×2, Linear–BN1d–ReLU, Linear–ReLU.

    One deviation: the notes' ``x.float().view(-1, 16*32*32)`` becomes ``flatten(1)`` so
    that the network also runs in float64 (``.float()`` would silently drop to float32).
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(3, 16, kernel_size=3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.conv2 = nn.Sequential(nn.Conv2d(16, 16, kernel_size=3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.fc1 = nn.Sequential(nn.Linear(16 * 32 * 32, 32 * 32), nn.BatchNorm1d(32 * 32), nn.ReLU())
        self.fc2 = nn.Sequential(nn.Linear(32 * 32, 10), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.fc1(self.conv2(self.conv1(x)).flatten(1)))


class SmallNetTest(nn.Module):
    """The notes' ``smallNetTest``: ``SmallNetTrain`` without BatchNorm."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(3, 16, kernel_size=3, padding=1), nn.ReLU())
        self.conv2 = nn.Sequential(nn.Conv2d(16, 16, kernel_size=3, padding=1), nn.ReLU())
        self.fc1 = nn.Sequential(nn.Linear(16 * 32 * 32, 32 * 32), nn.ReLU())
        self.fc2 = nn.Sequential(nn.Linear(32 * 32, 10), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.fc1(self.conv2(self.conv1(x)).flatten(1)))


def small_net_test_from(trained: SmallNetTrain) -> SmallNetTest:
    """The notes' construction: ``SmallNetTest`` with each layer's folded parameters."""
    folded = SmallNetTest().to(next(trained.parameters()).dtype)
    for name in ("conv1", "conv2", "fc1"):
        layer, bn = getattr(trained, name)[0], getattr(trained, name)[1]
        fold = fold_linear if isinstance(layer, nn.Linear) else fold_conv
        getattr(folded, name)[0].load_state_dict(fold(layer, bn).state_dict())
    folded.fc2[0].load_state_dict(trained.fc2[0].state_dict())
    return folded.eval()


def calibrate(model: nn.Module, batches: Iterable[torch.Tensor]) -> nn.Module:
    """Set every BatchNorm's running statistics by train-mode passes, then switch to eval.

    ``momentum=None`` makes the running statistics the plain average over the passes.
    """
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.reset_running_stats()
            module.momentum = None
    model.train()
    with torch.no_grad():
        for batch in batches:
            model(batch)
    return model.eval()


