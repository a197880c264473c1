"""A grade's optimizer step recorded once as a CUDA graph and replayed: the fast path on a GPU.

One step on the minibatch ``I`` of row indices into the cached features ``Z`` (R, d)
and the residual ``E`` (R, m)::

    loss   = grade loss(Z[I], E[I])          a scalar, or one mean per model (S,)
    grad   = d sum(loss) / d theta           written afresh each replay, not accumulated
    theta  = Adam(theta, grad; lr)           fused, capturable Adam: lr and step count on the device
    total += B * loss                        the epoch's loss sums (B rows per model), on the device

is captured once per minibatch size (the full size and, when ``B`` does not divide ``N``,
the epoch's last, shorter size; full batch uses ``Z`` and ``E`` whole, with no gather).
A replay copies the indices into the graph's static index buffer and launches the recorded
kernels as one unit: no Python per kernel, no host synchronisation, so the host can run
ahead of the device and the step costs what its kernels cost. At a grade's sizes a step is
a chain of small dependent kernels, so its cost is their number: Adam is fused (two kernels
for all parameters, where the multi-tensor form launches about seventeen) and the squared
loss is ``mse_loss`` (one kernel each way, see ``grades.module.grade_loss``).

Capturing needs a few real steps first (Adam's state, cuBLAS's workspace); they are run on
a side stream and then undone in place (weights, buffers such as batch normalisation's
running statistics, and Adam's state copied back, or Adam's zeroed when it had none yet),
so that training starts from exactly the state it was given.
"""

from __future__ import annotations

from typing import Callable, Iterable

import torch

from multigrade.grades.schedule import GradeSchedule

WARMUP_STEPS = 3

LossFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def graph_sizes(points: int, schedule: GradeSchedule) -> list[int]:
    """Minibatch sizes an epoch draws: ``[N]`` for full batch, else ``B`` and ``N mod B``."""
    if schedule.full_batch(points):
        return [points]
    size = schedule.batch_size
    return [size] + ([points % size] if points % size else [])


def adam_fused(device: torch.device) -> bool | None:
    """Adam's ``fused`` argument on ``device``: True on CUDA (one kernel for all parameters,
    the same update as the multi-tensor form up to rounding); elsewhere None, torch's
    default form."""
    return True if device.type == "cuda" else None


def set_step_mode(optimizer: torch.optim.Optimizer, lr: float | torch.Tensor, capturable: bool) -> None:
    """Put Adam in the form its steps need, whatever state was loaded into it (a checkpoint
    of either path, or of another device): every group's learning rate is ``lr`` (for
    captured steps the device tensor the graphs read), ``capturable`` is set, Adam is fused
    on CUDA (``adam_fused``), and the step counts are float32 on the parameters'
    device when captured or fused, on the host otherwise."""
    for group in optimizer.param_groups:
        group["lr"] = lr
        group["capturable"] = capturable
        group["fused"], group["foreach"] = adam_fused(group["params"][0].device), None
        for param in group["params"]:
            state = optimizer.state.get(param)
            if state and "step" in state:
                step = torch.as_tensor(state["step"], dtype=torch.float32)
                state["step"] = step.to(param.device if capturable or group["fused"] else "cpu")


class GraphedSteps:
    """The captured steps of one grade's training on ``features`` (R, d) and ``residual``
    (R, m), one graph per minibatch size in ``sizes`` (rows); ``replay(index)`` runs one
    step, ``total`` (``total_shape``, the loss's) sums ``B * loss`` since ``zero()``.
    ``buffers`` are the trained modules' buffers, restored after the warm-up steps."""

    def __init__(self, loss: LossFunction, optimizer: torch.optim.Optimizer,
                 features: torch.Tensor, residual: torch.Tensor, sizes: Iterable[int],
                 total_shape: tuple[int, ...] = (), buffers: Iterable[torch.Tensor] = ()):
        if features.device.type != "cuda":
            raise ValueError(f"CUDA graphs need the features on a CUDA device, not {features.device}")
        self.loss, self.optimizer = loss, optimizer
        self.features, self.residual = features, residual
        self.points = features.shape[0]
        self.total = torch.zeros(total_shape, device=features.device)
        self.index: dict[int, torch.Tensor | None] = {}
        self.graphs: dict[int, torch.cuda.CUDAGraph] = {}
        params = [p for group in optimizer.param_groups for p in group["params"]]
        tensors = params + list(buffers)  # what the warm-up steps change, besides Adam's state
        saved_tensors = [t.detach().clone() for t in tensors]
        saved_state = {p: {k: v.clone() for k, v in optimizer.state[p].items() if torch.is_tensor(v)}
                       for p in params if optimizer.state.get(p)}
        for size in sizes:
            self.capture(size)
        torch.cuda.synchronize(features.device)
        with torch.no_grad():
            for tensor, saved in zip(tensors, saved_tensors):
                tensor.copy_(saved)
            for param in params:
                for key, value in optimizer.state.get(param, {}).items():
                    if not torch.is_tensor(value):
                        continue
                    if param in saved_state:
                        value.copy_(saved_state[param][key])
                    else:
                        value.zero_()  # Adam's fresh state: no steps, zero moments
        self.total.zero_()

    def step(self, index: torch.Tensor | None) -> None:
        """The step that is captured: loss on the rows ``index`` (all when None), fresh
        gradients, Adam, and the epoch's loss sum."""
        features = self.features if index is None else self.features.index_select(0, index)
        residual = self.residual if index is None else self.residual.index_select(0, index)
        loss = self.loss(features, residual)
        (loss if loss.dim() == 0 else loss.sum()).backward()
        self.optimizer.step()
        self.total.add_(loss.detach(), alpha=residual.shape[0] // loss.numel())

    def capture(self, size: int) -> None:
        device = self.features.device
        index = None if size == self.points else torch.arange(size, device=device)
        side = torch.cuda.Stream(device)
        side.wait_stream(torch.cuda.current_stream(device))
        with torch.cuda.stream(side):
            for _ in range(WARMUP_STEPS):
                self.optimizer.zero_grad(set_to_none=True)
                self.step(index)
        torch.cuda.current_stream(device).wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        self.optimizer.zero_grad(set_to_none=True)  # the graph allocates its own gradients
        with torch.cuda.graph(graph):
            self.step(index)
        self.index[size], self.graphs[size] = index, graph

    def zero(self) -> None:
        self.total.zero_()

    def replay(self, index: torch.Tensor | slice) -> None:
        """One step on the rows ``index`` (a slice means all rows)."""
        if isinstance(index, slice):
            self.graphs[self.points].replay()
            return
        size = index.shape[0]
        self.index[size].copy_(index)
        self.graphs[size].replay()
