r"""T2's Monte Carlo: sampled networks of ``nn.Linear``'s default law, and the design of the estimate.

The samplers draw networks whose weights and biases are i.i.d. uniform on
``(−1/√fan_in, 1/√fan_in)``: all networks at once (:func:`second_moments_batched`,
:func:`end_to_end_maps_batched`) or one real ``nn.Linear`` module at a time
(:func:`end_to_end_maps_from_linear_modules`, :func:`default_linear_parameters`).
:func:`monte_carlo_estimate` estimates ``E T`` with the number of networks set by a pilot;
:func:`false_alarm` gives each random check of the theorem its part of the false-alarm budget.

**Variance reduction.** For the linear network, each sampled network is an affine map
``y_L = M x + c``; over the input, ``E_x |y_L|² = |M|_F² + |c|²`` exactly when
``Cov x = I`` (the ``"exact"`` input law), so the statistic per network is
``T = (|M|_F² + |c|²)/n_L`` and only the weights are random. For the other input laws
(and always for ReLU) ``T`` averages ``|y_L|²/n_L`` over ``INPUTS_PER_NETWORK`` sampled
inputs. In every case ``E T = v_L``; the weights always come from the uniform law, never
from the formula under test.

**Statistical design** (the tests themselves are in :mod:`theorems.oracles.statistics`; this
module decides their α and power). A check
estimates ``v_L`` by the mean ``T̄`` of ``N`` i.i.d. statistics and declares the
implementation's prediction ``p`` wrong when ``|p − T̄| > z_{α/2} · SE``, with ``SE`` the
sample standard error. By the central limit theorem its false-alarm probability is
``α``; ``α`` is this check's part of the theorem's share of the suite's family-wise
budget (:mod:`theorems.oracles.false_alarms`) divided by the number of checks the loaded profile
runs (Bonferroni). If ``|p − v_L| = ε v_L`` the check misses with probability at most
``β`` once ``ε v_L ≥ (z_{α/2} + z_β) · SE``; with ``SE = σ_T/√N`` that gives

    N = ((z_{α/2} + z_β) / ε)² · CV²,   CV = σ_T / v_L,

for ``ε = 2 %`` and ``1 − β = 0.99``. ``CV²`` is estimated from a pilot of
200 to ``PILOT_NETWORKS`` networks (kept in the estimate; fewer for costly networks,
whose statistic averages many weights and is nearly Gaussian) and inflated by
``PILOT_SAFETY``; if the realised standard error still misses the target, more
networks are drawn (at most three times). With the ``ci``
profile (``α ≈ 10⁻⁸``, ``z_{α/2} ≈ 5.7``, ``z_β = 2.33``) that is ``N ≈ 1.6·10⁵ · CV²``.
Measured ``CV²``: 0.4 for widths ``[1, 1]``, about 1.65 for narrow networks of any depth
(the last biases keep the tail light: ``3^{−L}`` shrinks the product of weights), about
``1.65/n`` for width ``n``, and ``≲ 1/(n_0 n_1)`` for one layer. The check reports the
relative error it can detect with power 0.99 in its tolerance reason. The work
``N · Σ n_l n_{l−1}`` grows like ``L·n``, which is why the examples bound width by depth.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable, Iterator

import torch
from torch import nn

from theorems.oracles.false_alarms import per_check_false_alarm, planned_examples
from theorems.oracles.statistics import MonteCarloEstimate, mean_with_confidence, samples_to_detect_relative_error
from theorems.profiles import loaded_profile_examples
from theorems.theorem import InvalidInput
from theorems.variance.statement import CHECK_EXAMPLE_FRACTION, THEOREMS

__all__ = [
    "INPUT_LAWS",
    "default_linear_parameters",
    "end_to_end_maps_batched",
    "end_to_end_maps_from_linear_modules",
    "false_alarm",
    "monte_carlo_estimate",
    "second_moments_batched",
    "single_threaded",
    "work_per_network",
]

INPUT_LAWS = ("exact", "gaussian", "rademacher", "uniform")
INPUTS_PER_NETWORK = 8
DETECTABLE_RELATIVE_ERROR = 0.02
POWER = 0.99
PILOT_NETWORKS = 1000
MIN_PILOT_NETWORKS = 200
PILOT_WORK = 2e7
PILOT_SAFETY = 1.25
# Upper bound on N·(work per network) for one check, in multiply-adds; the examples are
# sized so that the power target is met below it (a property asserts that). 2e8 was met
# in ci but not by one thorough example (ReLU, widths (4,4,4,3,1,4,1), Gaussian inputs:
# its CV² needs 321 000 networks for a detectable error of 0.020023 > 0.02); 5e8 leaves
# room for a CV² 2.5 times that one's.
WORK_CAP = 5e8
CHUNK_WORK = 4e6

# How each theorem's share of the family-wise budget is split across its random checks,
# and which fraction of the profile's examples each property runs (theorems.profiles.scaled).
# Each variance theorem's part of the suite's false-alarm budget, as its statement states it.
SHARES: dict[str, float] = {theorem.id: theorem.false_alarm_share for theorem in THEOREMS}

SUB_SHARES: dict[str, float] = {
    "check": 0.5,
    "live-init": 0.1,
    "linear-modules": 0.1,
    "goodness-of-fit": 0.1,
    "mean": 0.1,
    "uncorrelated": 0.1,
}
EXAMPLE_FRACTIONS: dict[str, float] = {
    "check": CHECK_EXAMPLE_FRACTION,
    "live-init": CHECK_EXAMPLE_FRACTION,  # runs inside the check, once per example
    "linear-modules": 0.03,
    "goodness-of-fit": 0.1,
    "mean": 0.05,
    "uncorrelated": 0.05,
}
CHECKS_PER_EXAMPLE: dict[str, int] = {"goodness-of-fit": 2}
# The random checks the theorem's own check runs on every example (the rest are properties).
IN_THE_CHECK = ("check", "live-init")


# --- the samplers --------------------------------------------------------------------


def _inputs(law: str, networks: int, width: int, generator: torch.Generator) -> torch.Tensor:
    """Columns of inputs with mean 0 and covariance I: ``(networks, width, columns)``.

    ``"exact"`` is the identity plus a zero column: pushing it through the network gives
    ``[M | c]``, whose squared norm is ``E_x |y_L|²`` for every input law with ``Cov x = I``.
    """
    shape = (networks, width, INPUTS_PER_NETWORK)
    if law == "exact":
        basis = torch.cat([torch.eye(width, dtype=torch.float64), torch.zeros(width, 1, dtype=torch.float64)], dim=1)
        return basis.expand(networks, width, width + 1)
    if law == "gaussian":
        return torch.randn(shape, generator=generator, dtype=torch.float64)
    if law == "rademacher":
        return torch.randint(0, 2, shape, generator=generator).to(torch.float64).mul_(2).sub_(1)
    if law == "uniform":
        return torch.rand(shape, generator=generator, dtype=torch.float64).mul_(2).sub_(1).mul_(math.sqrt(3))
    raise InvalidInput(f"inputs={law!r} is not an input law; expected one of {', '.join(INPUT_LAWS)}")


def _uniform(shape: tuple[int, ...], bound: float, generator: torch.Generator) -> torch.Tensor:
    return torch.rand(shape, generator=generator, dtype=torch.float64).mul_(2 * bound).sub_(bound)


def second_moments_batched(
    widths: tuple[int, ...], networks: int, *, inputs: str, relu: bool, generator: torch.Generator
) -> torch.Tensor:
    """``T`` for each of ``networks`` sampled networks, weights drawn for all at once.

    Every weight and bias is i.i.d. uniform on ``(−1/√fan_in, 1/√fan_in)``, the law of
    a default ``nn.Linear`` (checked against real modules by the goodness-of-fit
    property). ``T = |y_L|²/n_L`` averaged over the input columns; for ``"exact"`` the
    zero column alone carries the biases, so ``T = (|M|_F² + |c|²)/n_L``.
    """
    exact = inputs == "exact"
    depth = len(widths) - 1
    h = None if exact else _inputs(inputs, networks, widths[0], generator)
    for layer, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:]), start=1):
        bound = 1 / math.sqrt(fan_in)
        weight = _uniform((networks, fan_out, fan_in), bound, generator)
        bias = _uniform((networks, fan_out, 1), bound, generator)
        if h is None:
            # The first layer applied to [I | 0] is [A_1 | b_1]: no product needed.
            z = torch.cat([weight, bias], dim=2)
        elif exact:
            z = torch.bmm(weight, h)
            z[:, :, -1:] += bias
        else:
            z = torch.baddbmm(bias, weight, h)
        h = z.clamp_min(0) if relu and layer < depth else z
    columns = 1 if exact else h.shape[2]
    return h.pow(2).sum(dim=(1, 2)) / (widths[-1] * columns)


def end_to_end_maps_batched(
    widths: tuple[int, ...], networks: int, *, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(M, c)`` of ``networks`` sampled linear networks: ``(N, n_L, n_0)`` and ``(N, n_L)``."""
    with single_threaded():
        h = _inputs("exact", networks, widths[0], generator)
        for fan_in, fan_out in zip(widths[:-1], widths[1:]):
            bound = 1 / math.sqrt(fan_in)
            h = torch.bmm(_uniform((networks, fan_out, fan_in), bound, generator), h)
            h[:, :, -1:] += _uniform((networks, fan_out, 1), bound, generator)
    return h[:, :, :-1], h[:, :, -1]


def end_to_end_maps_from_linear_modules(widths: tuple[int, ...], networks: int, *, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(M, c)`` of ``networks`` networks built from real ``nn.Linear`` modules, one at a time.

    Each module keeps PyTorch's own default initialisation (run on the global generator,
    seeded by ``seed`` and restored afterwards); only the composition is computed here.
    """
    maps, offsets = [], []
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.random.default_generator.manual_seed(seed)  # the CPU generator, the one forked
        for _ in range(networks):
            matrix = torch.eye(widths[0], dtype=torch.float64)
            offset = torch.zeros(widths[0], dtype=torch.float64)
            for fan_in, fan_out in zip(widths[:-1], widths[1:]):
                layer = nn.Linear(fan_in, fan_out)
                weight = layer.weight.double()
                matrix = weight @ matrix
                offset = weight @ offset + layer.bias.double()
            maps.append(matrix)
            offsets.append(offset)
    return torch.stack(maps), torch.stack(offsets)


def default_linear_parameters(fan_in: int, fan_out: int, modules: int, *, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """All weights and all biases of ``modules`` default ``nn.Linear(fan_in, fan_out)``, flattened."""
    weights, biases = [], []
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.random.default_generator.manual_seed(seed)  # the CPU generator, the one forked
        for _ in range(modules):
            layer = nn.Linear(fan_in, fan_out)
            weights.append(layer.weight.detach().reshape(-1))
            biases.append(layer.bias.detach().reshape(-1))
    return torch.cat(weights).double(), torch.cat(biases).double()


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """Run a block with one intra-op thread, restoring the count afterwards.

    The samplers issue many small tensor operations; on a shared, oversubscribed
    machine every parallel region waits for a descheduled worker thread (measured here:
    15 ms instead of 13 µs for a multiply of 10⁵ doubles with 2 threads under load).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _chunked(sample: Callable[[int], torch.Tensor], networks: int, work_per_network: int) -> torch.Tensor:
    chunk = max(1, int(CHUNK_WORK // max(1, work_per_network)))
    if networks <= 0:
        return torch.zeros(0, dtype=torch.float64)
    return torch.cat([sample(min(chunk, networks - start)) for start in range(0, networks, chunk)])


def work_per_network(widths: tuple[int, ...], inputs: str) -> int:
    """Multiply-adds (and memory) one sampled network costs: weights times input columns."""
    columns = widths[0] + 1 if inputs == "exact" else INPUTS_PER_NETWORK
    weights = sum(fan_in * fan_out for fan_in, fan_out in zip(widths[:-1], widths[1:]))
    products = sum(fan_in * fan_out for fan_in, fan_out in zip(widths[1:-1], widths[2:])) if inputs == "exact" else weights
    # Drawing an input number costs about four multiply-adds (measured for randn).
    input_draws = 0 if inputs == "exact" else 4 * widths[0] * columns
    return weights + products * columns + input_draws


# --- the statistics ------------------------------------------------------------------


def false_alarm(theorem_id: str, check: str) -> float:
    """The false-alarm probability one ``check`` of ``theorem_id`` may have: its share over the examples run."""
    planned = planned_examples() if check in IN_THE_CHECK else None  # the engine's run of this very check
    examples = planned or max(1, math.ceil(loaded_profile_examples() * EXAMPLE_FRACTIONS[check]))
    per_check = per_check_false_alarm(SHARES[theorem_id], checks_per_example=CHECKS_PER_EXAMPLE.get(check, 1), examples=examples)
    return per_check * SUB_SHARES[check]


@functools.lru_cache(maxsize=1024)
def monte_carlo_estimate(widths: tuple[int, ...], inputs: str, relu: bool, seed: int, alpha: float) -> MonteCarloEstimate:
    """The batched Monte Carlo estimate of ``E T`` with ``N`` set by a pilot (see the module docstring).

    Cached: it depends on the example only, never on the implementation under test, so
    every implementation checked on one example meets the same estimate.
    """
    generator = torch.Generator().manual_seed(seed)
    work = work_per_network(widths, inputs)

    def sample(count: int) -> torch.Tensor:
        return second_moments_batched(widths, count, inputs=inputs, relu=relu, generator=generator)

    with single_threaded():
        pilot_networks = max(MIN_PILOT_NETWORKS, min(PILOT_NETWORKS, int(PILOT_WORK // work)))
        pilot = _chunked(sample, pilot_networks, work)
        cv2 = float(pilot.var() / pilot.mean() ** 2)
        needed = math.ceil(samples_to_detect_relative_error(DETECTABLE_RELATIVE_ERROR, cv2, alpha, POWER) * PILOT_SAFETY)
        cap = max(pilot_networks, int(WORK_CAP // work))
        samples = torch.cat([pilot, _chunked(sample, min(needed, cap) - pilot_networks, work)])
        # Top up while the realised standard error misses the power target (the pilot's CV² is itself noisy).
        for _ in range(3):
            estimate = mean_with_confidence(samples, alpha, POWER)
            if estimate.detectable_relative_error <= DETECTABLE_RELATIVE_ERROR or samples.numel() >= cap:
                break
            more = math.ceil(samples.numel() * ((estimate.detectable_relative_error / DETECTABLE_RELATIVE_ERROR) ** 2 * 1.05 - 1))
            samples = torch.cat([samples, _chunked(sample, min(more, cap - samples.numel()), work)])
    return mean_with_confidence(samples, alpha, POWER)
