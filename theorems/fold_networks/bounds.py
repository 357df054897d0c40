"""The bound on a fold's error: forward rounding at its worst, the folded parameters' by Hoeffding where smaller.

See the note below for the model; :func:`network_bounds` evaluates it on one network and
input, :func:`network_tolerance` gives the check's per-output tolerance and its reason.
"""

from __future__ import annotations

import collections
import copy
import dataclasses
import itertools
import math
from dataclasses import dataclass

import torch
from torch import fx, nn

from theorems.fold_networks.fingerprint import network_fingerprint
from theorems.fold_networks.rounding_sites import FoldedParameters, RoundingBounds
from theorems.fold_networks.statement import FOLD_NETWORK
from theorems.oracles.false_alarms import per_check_false_alarm, planned_examples
from theorems.oracles.tolerance import U64, UNIT_ROUNDOFF
from theorems.theorem import InvalidInput

__all__ = [
    "NetworkBounds",
    "PARAMETER_ROUNDINGS",
    "model_false_alarm",
    "network_bounds",
    "network_tolerance",
    "release_copy",
    "tolerance_and_reason",
]

# The folded network's parameters are evaluated exactly: a copy cast to float64 runs on the
# input in float64, as the unfused network does (the oracle). Forward rounding is then
# float64's on both sides, and what is left of float32 is the rounding of the folded
# parameters themselves.
#
# Forward rounding, first order, at its worst. Each computed value v_j (an output element of
# a layer with its BatchNorm or its fold, of a sum, of an average) takes n_j elementary
# roundings, each a relative error of at most u₆₄+u₆₄ (one per side) of a term no larger than
# M_j: for an affine layer n = k+8 terms of T = |s|(|W|⊛|x|+|c|+|μ|)+|β| (see
# theorems.fold.check.fold_tolerance); for a sum a + b, n = 1 of |a|+|b|; for an average of m
# values, n = m+1 of mean|a|. ReLU, ReLU6, max pooling, dropout in eval, flatten and
# reshapes are exact. The output error is at most (u₆₄+u₆₄)·Σ_j |∂N/∂v_j|·n_j·M_j, with ∂N/∂v
# from autograd through the float64 network (one backward pass per output element):
# a few 10⁻⁹ of the largest output on the three networks.
#
# Parameter rounding, first order. Each folded parameter θ (a weight W'ᵢ = s·Wᵢ, a channel's
# scale s, a channel's bias c' = β + s(c − μ)) may be off by k_θ roundings in the dtype it is
# stored in (PARAMETER_ROUNDINGS, each u+u₆₄), which moves output o by at most
# (u+u₆₄)·k_θ·|θ·∂N_o/∂θ|. One scale serves every position and every weight of its channel:
# its share is taken per parameter, not per use, so the sharing is respected.
#
# * worst case: (u₆₄+u₆₄)·Σ_j |∂N/∂v_j|·n_j·M_j + (u+u₆₄)·Σ_θ k_θ·|θ·∂N/∂θ|. No model; at
#   first order it always holds, and on float32 networks it is 10⁻⁴ to a few 10⁻³ of the
#   largest output: too wide to see one layer 0.05 % off in mobilenet_v2's last layer,
#   among 52 whose parameters all round.
# * the tolerance: the forward term as above, plus (u+u₆₄)·λ·sqrt(Σ_θ (k_θ·θ·∂N/∂θ)²) for the
#   parameters where that is smaller than their worst case. Its model (Higham & Mary, SIAM J.
#   Sci. Comput. 41 (2019) A2815): the roundings of distinct parameters are independent, mean
#   zero and bounded, so by Hoeffding's inequality their effect on an output exceeds the bound
#   with probability at most 2·exp(−λ²/2); λ makes it model_false_alarm() over all outputs.
#   The model is measured, not assumed: `make fold-calibration` runs right
#   folds (the reference and torch.fx's fuse) on hundreds of random float32 networks and
#   records the largest error-to-tolerance ratio.
#
# A fold whose arithmetic errs one way in every parameter (an approximate reciprocal square
# root that always rounds down) is outside the model: the worst case still bounds it.


def model_false_alarm() -> float:
    """The chance, under the independent-rounding model, that a right fold's parameter rounding
    exceeds its bound anywhere in one check: fold-network's share of the suite's budget,
    divided among the run's examples."""
    return per_check_false_alarm(FOLD_NETWORK.false_alarm_share, checks_per_example=1, examples=planned_examples())


PARAMETER_ROUNDINGS = {"weight": 2, "scale": 4, "bias": 3}
"""Roundings allowed in a fold's parameters, in units of u: each W'ᵢ = s·Wᵢ (the product,
and one for a formula that divides by the standard deviation instead); each channel's
s = γ/sqrt(σ² + ε) (ε add, sqrt, divide, γ multiply); each c' = β + s(c − μ), relative to
|β| + |s|(|c| + |μ|) (subtract, multiply, add). The unfused network's parameters cost
nothing: stored in float32, they are exact in float64."""


@dataclass(frozen=True)
class _Sums:
    """Per output element: Σ|g|·n·(u₆₄+u₆₄)·M for the forward roundings, and Σ_θ k_θ|θ·∂N/∂θ| and
    Σ_θ (k_θ·θ·∂N/∂θ)² for the folded parameters' (in units of their u)."""

    forward: torch.Tensor
    parameters_worst: torch.Tensor
    parameters_spread: torch.Tensor
    sites: int
    kinks_crossed: int


def _first_order_sums(traced: fx.GraphModule, x: torch.Tensor, *, z: float | None, margin_dtype: torch.dtype) -> _Sums:
    """Run the float64 network under :class:`RoundingBounds` and sum each site's and pair's share per output.

    One backward pass per output coordinate serves the whole batch: in eval mode a
    sample's output depends on that sample's values alone.
    """
    interpreter = RoundingBounds(traced, x, z=z, margin_dtype=margin_dtype)
    with torch.enable_grad():
        output = interpreter.run(x.double().requires_grad_(True))
    forward = torch.zeros_like(output).detach()
    sites, pairs = interpreter.sites, interpreter.pairs
    at_pair_outputs: list[list[torch.Tensor]] = [[] for _ in pairs]
    for o in range(output.shape[1]):
        wanted = [site.value for site in sites] + [pair.output for pair in pairs]
        gradients = torch.autograd.grad(output[:, o].sum(), wanted, retain_graph=True, allow_unused=True)
        gradients = [torch.zeros_like(w) if g is None else g for g, w in zip(gradients, wanted)]
        for gradient, site in zip(gradients, sites):
            forward[:, o] += site.unit * (gradient.abs() * site.count * site.magnitude).flatten(1).sum(1)
        for kept, gradient in zip(at_pair_outputs, gradients[len(sites) :]):
            kept.append(gradient.detach())
    parameters_worst, parameters_spread = torch.zeros_like(forward), torch.zeros_like(forward)
    for pair, kept in zip(pairs, at_pair_outputs):
        for share_worst, share_spread in _parameter_shares(pair, torch.stack(kept, dim=1)):
            parameters_worst += share_worst
            parameters_spread += share_spread
    return _Sums(forward, parameters_worst, parameters_spread, sites=len(sites), kinks_crossed=interpreter.kinks_crossed)


def _parameter_shares(pair: FoldedParameters, at_output: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Σ|share| and Σshare² over each kind of folded parameter, per (sample, output), in units of u.

    ``at_output`` is ∂N_o/∂y per sample, shaped (samples, outputs, channels, positions…). A
    relative change ε of channel c's scale moves output o by ε·Σ_positions ∂N_o/∂y·(y − β);
    of its bias by ε·(|β| + |s|(|c| + |μ|))·Σ_positions ∂N_o/∂y; of one weight Wᵢ by
    ε·Wᵢ·∂N_o/∂Wᵢ, with ∂N_o/∂W = s·∂N_o/∂y pulled back through the layer for that sample.
    """
    y = pair.output.detach().unsqueeze(1)
    scale = PARAMETER_ROUNDINGS["scale"] * _over_positions(at_output * (y - pair.beta.unsqueeze(1)))
    bias = PARAMETER_ROUNDINGS["bias"] * _over_positions(at_output) * pair.bias_magnitude.reshape(1, 1, -1)
    at_layer_output = PARAMETER_ROUNDINGS["weight"] * pair.scale.unsqueeze(1) * at_output
    return [(scale.abs().sum(2), scale.square().sum(2)), (bias.abs().sum(2), bias.square().sum(2)), _weight_shares(pair, at_layer_output)]


def _weight_shares(pair: FoldedParameters, at_layer_output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Σ_i |Wᵢ·∂N_o/∂Wᵢ| and Σ_i (Wᵢ·∂N_o/∂Wᵢ)² per (sample, output).

    A Linear layer uses each weight once per sample, so ∂N_o/∂W_ci = g_c·x_i and both sums
    are products of |g| with |W|·|x| (a 16k × 1k layer's gradients would not fit in memory
    for every output); a convolution shares its weights across positions, so its
    gradients come from the layer's vector-Jacobian product, one per output.
    """
    weight, x = pair.layer.weight.detach(), pair.layer_input
    if isinstance(pair.layer, nn.Linear):
        return (
            (at_layer_output.abs() * (x.abs() @ weight.abs().T).unsqueeze(1)).sum(2),
            (at_layer_output.square() * (x.square() @ weight.square().T).unsqueeze(1)).sum(2),
        )
    if _unfoldable(pair.layer):
        return _conv2d_weight_shares(pair.layer, x, at_layer_output)
    worst, spread = [], []
    for sample in range(x.shape[0]):

        def layer_output(w: torch.Tensor, sample: int = sample) -> torch.Tensor:
            return torch.func.functional_call(pair.layer, {"weight": w}, (x[sample : sample + 1],), strict=False)

        _, pull_back = torch.func.vjp(layer_output, weight)
        # A loop, not vmap: vmap's float64 convolution backward is a hundred times slower,
        # and one output's shares at a time stay in cache.
        norms = torch.zeros(2, at_layer_output.shape[1], dtype=torch.float64)
        for o, g in enumerate(at_layer_output[sample]):
            share = weight * pull_back(g.unsqueeze(0))[0]
            norms[0, o], norms[1, o] = torch.linalg.vector_norm(share, ord=1), torch.linalg.vector_norm(share, ord=2).square()
        worst.append(norms[0])
        spread.append(norms[1])
    return torch.stack(worst), torch.stack(spread)


# Outputs whose weight gradients are computed in one product: a chunk's gradients stay within
# 2²² numbers (32 MB in float64), resnet18's largest convolution one output at a time.
GRADIENT_CHUNK_ELEMENTS = 2**22


def _unfoldable(layer: nn.Module) -> bool:
    """A Conv2d whose input ``unfold`` lays out as the convolution reads it: zero padding given in numbers."""
    return type(layer) is nn.Conv2d and layer.padding_mode == "zeros" and not isinstance(layer.padding, str)


def _conv2d_weight_shares(layer: nn.Conv2d, x: torch.Tensor, at_layer_output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`_weight_shares` of a Conv2d, its gradients for all outputs of a sample in one product.

    A convolution's weight gradient is the output gradient times the unfolded input (im2col):
    ∂N_o/∂W[c, i, k] = Σ_l g_o[c, l]·X[group(c)·i, k, l], with X the input's patches, one
    column per output position l. The same numbers the layer's vector-Jacobian product gives,
    without a backward pass per output.
    """
    weight = layer.weight.detach()
    groups, outputs = layer.groups, at_layer_output.shape[1]
    chunk = max(1, GRADIENT_CHUNK_ELEMENTS // weight.numel())
    worst = torch.zeros(x.shape[0], outputs, dtype=torch.float64)
    spread = torch.zeros_like(worst)
    for sample in range(x.shape[0]):
        patches = torch.nn.functional.unfold(
            x[sample : sample + 1], layer.kernel_size, dilation=layer.dilation, padding=layer.padding, stride=layer.stride
        )
        patches = patches.reshape(groups, -1, patches.shape[-1])  # (groups, inputs per group · kernel, positions)
        for first in range(0, outputs, chunk):
            g = at_layer_output[sample, first : first + chunk]
            g = g.reshape(g.shape[0], groups, -1, patches.shape[-1])  # (outputs, groups, channels per group, positions)
            gradient = torch.einsum("ogcl,gkl->ogck", g, patches).reshape(g.shape[0], *weight.shape)
            share = (weight * gradient).flatten(1)
            worst[sample, first : first + chunk] = torch.linalg.vector_norm(share, ord=1, dim=1)
            spread[sample, first : first + chunk] = torch.linalg.vector_norm(share, ord=2, dim=1).square()
    return worst, spread


def _over_positions(t: torch.Tensor) -> torch.Tensor:
    """Sum (samples, outputs, channels, positions…) over the positions (``sum(())`` would sum everything)."""
    return t.flatten(3).sum(3) if t.dim() > 3 else t


@dataclass(frozen=True)
class NetworkBounds:
    """Bounds on ``|N(x) with folded parameters − N(x) exact|`` per output element, both run in float64.

    ``worst`` holds at first order with no model; ``tolerance`` replaces the parameters'
    worst case by the independent-rounding bound where that is smaller.
    """

    exact: torch.Tensor  # the unfused network in float64: the oracle
    forward: torch.Tensor  # (u₆₄+u₆₄)·Σ|∂N/∂v|·n·M: float64 rounding on both sides, at its worst
    parameters_worst: torch.Tensor  # (u+u₆₄)·Σ_θ k_θ|θ·∂N/∂θ|
    parameters_probable: torch.Tensor  # (u+u₆₄)·λ·sqrt(Σ_θ (k_θ·θ·∂N/∂θ)²)
    z: float  # λ
    alpha: float  # the false alarm λ was chosen for
    sites: int
    kinks_crossed: int

    @property
    def worst(self) -> torch.Tensor:
        return self.forward + self.parameters_worst

    @property
    def tolerance(self) -> torch.Tensor:
        return self.forward + torch.minimum(self.parameters_worst, self.parameters_probable)


# The bounds of the last networks checked, by what they are a function of (fingerprint.py): a run
# meets one network and input many times (each wrong implementation of the catalogue on the first
# covered example, Hypothesis's replays of a failing one, tests judging several folds of one
# network), and the bound is most of a check. An entry holds output-sized tensors only.
KEPT_BOUNDS = 8
_kept: collections.OrderedDict[tuple[object, ...], NetworkBounds] = collections.OrderedDict()


def network_bounds(model: nn.Module, x: torch.Tensor) -> NetworkBounds:
    """The bounds for a fold of ``model`` whose parameters are stored in ``x``'s dtype, evaluated in float64 on ``x``.

    Pre-activations within rounding of a kink are found at the parameters' unit roundoff:
    at their worst for float64, λ standard deviations of the independent-rounding model
    for float32 (the worst-case estimate at float32's u exceeds mobilenet_v2's output, and
    every unit would count as near a kink). Computed once for the same network, input and
    false-alarm rate among the last :data:`KEPT_BOUNDS` (:func:`~theorems.fold_networks.fingerprint.network_fingerprint`);
    each caller gets its own tensors.
    """
    if any(module.training for module in model.modules()):
        raise InvalidInput("model is in training mode; fold equivalence needs eval mode (call model.eval())")
    alpha = model_false_alarm()
    key = network_fingerprint(model, x, alpha)
    bounds = _kept.get(key) if key is not None else None
    if bounds is None:
        bounds = _computed_bounds(model, x, alpha)
        if key is not None:
            _kept[key] = bounds
            while len(_kept) > KEPT_BOUNDS:
                _kept.popitem(last=False)
    else:
        _kept.move_to_end(key)
    return _own_copy(bounds)


def _own_copy(bounds: NetworkBounds) -> NetworkBounds:
    """``bounds`` with tensors of its own: what one caller does to them, the kept entry does not see."""
    tensors = {field.name: getattr(bounds, field.name) for field in dataclasses.fields(bounds)}
    return dataclasses.replace(bounds, **{name: value.clone() for name, value in tensors.items() if isinstance(value, torch.Tensor)})


def _computed_bounds(model: nn.Module, x: torch.Tensor, alpha: float) -> NetworkBounds:
    """:func:`network_bounds`, computed: a float64 copy of ``model`` traced and run under :class:`RoundingBounds`."""
    copied = copy.deepcopy(model).double()
    for module in copied.modules():
        if getattr(module, "inplace", False):
            module.inplace = False  # in-place ReLU would overwrite the values we differentiate at
    traced = fx.symbolic_trace(copied)
    x64 = x.double()
    try:
        with torch.no_grad():
            exact = traced(x64).clone()  # a clone: released below with the copy if the network returned a tensor of its own
        z = math.sqrt(2 * math.log(2 * exact.numel() / alpha))
        sums = _first_order_sums(traced, x64, z=None if x.dtype == torch.float64 else z, margin_dtype=x.dtype)
    finally:
        release_copy(copied)
    unit = UNIT_ROUNDOFF[x.dtype] + U64  # the fold's parameters are computed elementwise
    return NetworkBounds(
        exact=exact,
        forward=sums.forward,
        parameters_worst=unit * sums.parameters_worst,
        parameters_probable=unit * z * sums.parameters_spread.sqrt(),
        z=z,
        alpha=alpha,
        sites=sums.sites,
        kinks_crossed=sums.kinks_crossed,
    )


def release_copy(copied: nn.Module) -> None:
    """Free the tensors of a private copy now.

    A traced network is a cycle (graph ↔ nodes ↔ module) that holds the copy's tensors until
    the interpreter's next full collection, which costs a few tenths of a second in a large
    process (more than the whole check of a small network); emptied here, the cycle holds
    nothing large. Only for a copy its caller made (a bound's, the check's float64 copy of a fold): no one
    else sees its tensors.
    """
    with torch.no_grad():
        for tensor in itertools.chain(copied.parameters(), copied.buffers()):
            tensor.data = torch.empty(0, dtype=tensor.dtype)


def network_tolerance(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, str]:
    """The per-output tolerance for a fold of ``model`` evaluated in float64 on ``x``, and its reason."""
    return tolerance_and_reason(network_bounds(model, x), x)


def tolerance_and_reason(bounds: NetworkBounds, x: torch.Tensor) -> tuple[torch.Tensor, str]:
    """The per-output tolerance of ``bounds`` and its reason in words, for an input ``x`` in the parameters' dtype."""
    u = UNIT_ROUNDOFF[x.dtype]
    reason = (
        f"the folded parameters evaluated exactly (a float64 copy on the float64 input), against the unfused network in "
        f"float64. Tolerance: forward rounding at its worst, (u64+u64)·Σ|∂N/∂v|·n·M over {bounds.sites} rounding sites "
        f"(affine: k+8 roundings of T=|s|(|W|⊛|x|+|c|+|μ|)+|β|, sums: 1 of |a|+|b|, averages: m+1 of mean|a|), plus the "
        f"folded parameters' rounding (u={u:.2e}; {PARAMETER_ROUNDINGS['weight']}u per weight, "
        f"{PARAMETER_ROUNDINGS['scale']}u per scale, {PARAMETER_ROUNDINGS['bias']}u per bias) by the smaller of its worst case "
        f"(u+u64)·Σ_θ k_θ|θ·∂N/∂θ| and the independent-rounding bound (Hoeffding, λ={bounds.z:.2f}, false alarm ≤ "
        f"{bounds.alpha:.2g}) (u+u64)·λ·sqrt(Σ_θ (k_θ·θ·∂N/∂θ)²); activations by their Lipschitz constant at the "
        f"{bounds.kinks_crossed} pre-activations within rounding of a kink"
    )
    return bounds.tolerance, reason


