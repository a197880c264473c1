"""Many grades of one shape trained as one model: the seeds of an experiment, or the
settings of a sweep that differ only in seed and learning rates, side by side.

S grades (one per model, each on its own frozen backbone and residual) have their
parameters stacked along a new leading axis, ``theta = [theta_1; ...; theta_S]``, and one
step updates all of them::

    Z_s[I_s] (B, d), E_s[I_s] (B, m)     model s's minibatch, from its own permutation
    loss_s = grade_loss(theta_s; Z_s[I_s], E_s[I_s])           (vmapped over s: batched matmuls)
    theta_s = Adam(theta_s, d sum_s loss_s / d theta_s; lr_s(epoch))   (torch's Adam at one shared
                                                                        rate, else ``StackedAdam``)

Model s's loss depends on ``theta_s`` only, so the gradient of the sum is each model's
own gradient, and Adam's update is elementwise, at model s's own learning rate
``lr_s(i) = lr_max_s exp(-gamma_s i)``: each model takes the steps it would take trained
alone, up to floating-point rounding (batched and single matrix products sum in other
orders). The models share each grade's epochs and minibatch size. On a GPU the S small
models fill the device that one leaves idle. A stack that draws random numbers in training
(dropout) is the exception: its models draw their masks from one shared stream, seeded
each epoch from all their seeds, so they take other steps than alone, and a model's masks
depend on the models beside it (each set of models trained together is still reproducible).

Rows of model s sit at ``s * N + i`` in the stacked features (S * N, d) and residual
(S * N, m): one copy of each model's training features on the device.
"""

from __future__ import annotations

import copy

import lightning.pytorch as L
import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from multigrade.grades.module import GradeTraining, check_distributions, epoch_order, grade_loss
from multigrade.grades.schedule import GradeSchedule
from multigrade.grades.stacked_adam import StackedAdam
from multigrade.grades.stair import SoftmaxHead, evaluating


class GradeLoss(nn.Module):
    """``grade_loss`` of one grade as a module, for ``functional_call``: (B, d), (B, m) -> ()."""

    def __init__(self, stack: nn.Module, head: nn.Module):
        super().__init__()
        self.stack, self.head = stack, head

    def forward(self, features: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return grade_loss(self.stack, self.head, features, residual)


class StackedGradeModule(GradeTraining):
    """Grade k of S models at once: model s has its trainable ``stacks[s]`` and ``heads[s]``
    (all of one shape), its block of rows ``s * N + i`` of the cached ``features``
    (S * N, d) and ``residual`` (S * N, m), its prior ``priors[s]`` (N, m), seed
    ``seeds[s]`` and schedule ``schedules[s]`` (the same epochs and minibatch size for all;
    learning rates of its own), on shared ``targets`` (N, m). ``loss_history`` is
    (epochs, S); ``unstack()`` writes the trained parameters back into each model's modules.
    """

    def __init__(self, stacks: list[nn.Module], heads: list[nn.Module], features: torch.Tensor,
                 residual: torch.Tensor, targets: torch.Tensor, priors: torch.Tensor,
                 schedules: list[GradeSchedule], grade: int, seeds: list[int], check_every: int = 50,
                 cuda_graph: bool = True):
        check_shared_steps(schedules, grade)
        super().__init__(features, residual, schedules[0], grade, check_every, cuda_graph, loss_shape=(len(seeds),))
        self.schedules = list(schedules)
        self.lr_max: torch.Tensor | None = None  # (S,) on the device from configure_optimizers,
        self.gammas: torch.Tensor | None = None  # with the rates StackedAdam reads
        self.rates: torch.Tensor | None = None
        if isinstance(heads[0], SoftmaxHead):
            check_distributions(residual, grade)
        self.seeds = [int(seed) for seed in seeds]
        self.models = [GradeLoss(stack, head) for stack, head in zip(stacks, heads)]
        params, buffers = stack_module_state(self.models)
        self.names = list(params)
        self.stacked = nn.ParameterList(nn.Parameter(params[name]) for name in self.names)
        # buffers (an activation's constants, batch normalisation's statistics), stacked too: (S, ...) each
        self.buffer_names = list(buffers)
        for i, name in enumerate(self.buffer_names):
            self.register_buffer(f"stacked_buffer_{i}", buffers[name], persistent=False)
        template = copy.deepcopy(self.models[0]).to("meta")  # the shape; tensors come per call

        def model_loss(params: dict[str, torch.Tensor], features: torch.Tensor,
                       residual: torch.Tensor) -> torch.Tensor:
            return functional_call(template, params, (features, residual))

        # over the models: (S, ...) -> (S,); a layer that draws (dropout) draws for each model
        self.batched_loss = vmap(model_loss, randomness="different")
        self.register_buffer("targets", targets, persistent=False)
        self.register_buffer("priors", priors, persistent=False)

    @property
    def rows_per_model(self) -> int:
        return self.targets.shape[0]

    @property
    def model_seeds(self) -> list[int]:
        return self.seeds

    def minibatches(self, epoch: int) -> list[torch.Tensor | slice]:
        """Each model's epoch permutation, from (its seed, grade, epoch), split; minibatch
        j holds model s's j-th index set at rows ``s * N + i``: (S * B_j,)."""
        n, size = self.rows_per_model, self.schedule.batch_size
        orders = [epoch_order(n, self.schedule, seed, self.grade, epoch, self.device) for seed in self.seeds]
        if orders[0] is None:
            return [slice(None)]
        offsets = torch.arange(len(self.seeds), device=self.device).unsqueeze(1) * n
        rows = torch.stack(orders) + offsets
        return [part.reshape(-1) for part in rows.split(size, dim=1)]

    def loss(self, features: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        """Each model's loss on its rows of the minibatch: (S * B, d), (S * B, m) -> (S,)."""
        count = len(self.seeds)
        params = dict(zip(self.names, self.stacked))
        params.update(zip(self.buffer_names, self.stacked_buffers()))
        return self.batched_loss(params, features.unflatten(0, (count, -1)), residual.unflatten(0, (count, -1)))

    def trained_parameters(self) -> list[nn.Parameter]:
        return list(self.stacked)

    def trained_buffers(self) -> list[torch.Tensor]:
        return self.stacked_buffers()

    # ------------------------------------------------- one rate per model
    def learning_rate(self, epoch: int) -> list[float]:
        return [schedule.lr(epoch) for schedule in self.schedules]

    @property
    def shared_rate(self) -> bool:
        """Whether all models take their steps at one learning rate (the seeds of one
        experiment, one schedule)."""
        return len({(schedule.lr_max, schedule.lr_min) for schedule in self.schedules}) == 1

    def configure_optimizers(self) -> torch.optim.Optimizer:
        """At one shared rate, torch's Adam as one grade has it (fused on CUDA: two kernels
        a step for the whole stack, where ``StackedAdam`` takes about twenty). At rates of
        their own, ``StackedAdam`` reading ``rates`` (S,), kept with ``lr_max`` and
        ``gamma`` on the device, in double where the device has it (not on Apple's MPS)."""
        if self.shared_rate:
            return super().configure_optimizers()
        dtype = torch.float32 if self.device.type == "mps" else torch.float64
        self.lr_max, self.gammas = (torch.tensor([getattr(schedule, name) for schedule in self.schedules],
                                                 dtype=dtype, device=self.device) for name in ("lr_max", "gamma"))
        self.rates = self.lr_max.clone()
        return StackedAdam(self.trained_parameters(), self.rates, self.schedule.betas, self.schedule.eps)

    def prepare_optimizer(self, optimizer: torch.optim.Optimizer) -> None:
        """torch's Adam in the form the steps need (as one grade's); ``StackedAdam`` needs
        nothing: it creates its state on the device, and a stacked grade always starts
        afresh (no in-grade checkpoints to load)."""
        if self.shared_rate:
            super().prepare_optimizer(optimizer)

    def set_lr(self, epoch: int) -> None:
        """The shared rate as one grade sets it; or ``rates = lr_max exp(-gamma epoch)`` (S,),
        computed on the device in place: no host-to-device copy, so the graphs' host never
        waits."""
        if self.shared_rate:
            super().set_lr(epoch)
            return
        torch.mul(self.gammas, -float(epoch), out=self.rates).exp_().mul_(self.lr_max)

    @torch.no_grad()
    def load_model(self, s: int) -> GradeLoss:
        """Model s with its current parameters and buffers (batch normalisation's running
        statistics, updated in training) copied from the stack into its own modules."""
        model = self.models[s]
        for name, stacked in zip(self.names, self.stacked):
            model.get_parameter(name).copy_(stacked[s])
        for name, stacked in zip(self.buffer_names, self.stacked_buffers()):
            model.get_buffer(name).copy_(stacked[s])
        return model

    def stacked_buffers(self) -> list[torch.Tensor]:
        """The models' buffers, stacked: (S, ...) each, in the order of ``buffer_names``."""
        return [getattr(self, f"stacked_buffer_{i}") for i in range(len(self.buffer_names))]

    def unstack(self) -> None:
        """Copy every model's trained parameters and buffers into its ``stacks[s]`` and ``heads[s]``."""
        for s in range(len(self.models)):
            self.load_model(s)

    @torch.no_grad()
    def train_output(self, s: int) -> torch.Tensor:
        """``g_k(X)`` of model s on its cached training features, in eval mode: (N, m)."""
        n = self.rows_per_model
        with evaluating(self.load_model(s)) as model:
            return model.head(model.stack(self.features[s * n:(s + 1) * n]))


def check_shared_steps(schedules: list[GradeSchedule], grade: int) -> None:
    """Models side by side take their steps together: their schedules may differ in the
    learning rates only; raise a ``ValueError`` naming the field that differs."""
    for field in ("epochs", "batch_size", "betas", "eps"):
        values = [getattr(schedule, field) for schedule in schedules]
        if len(set(values)) > 1:
            raise ValueError(f"grade {grade}: models trained side by side share {field}, got {values};"
                             f" only seeds and learning rates (lr_max, lr_min) may differ")


class SeedView:
    """Model s of a ``StackedGradeModule`` as the callbacks written for one ``GradeModule``
    read it: ``grade``, ``schedule``, ``check_every``, ``targets``, ``prior`` and ``train_output()``."""

    def __init__(self, module: StackedGradeModule, s: int):
        self.module, self.s = module, s
        self.grade, self.schedule, self.targets = module.grade, module.schedules[s], module.targets
        self.check_every = module.check_every
        self.prior = module.priors[s]

    def train_output(self) -> torch.Tensor:
        return self.module.train_output(self.s)


class ForEachSeed(L.Callback):
    """Runs ``callbacks[s]`` (a callback written for one grade, e.g. the spectra) on model s
    of a ``StackedGradeModule``, through a ``SeedView``: fit start, epoch end, train end."""

    def __init__(self, callbacks: list[L.Callback]):
        self.callbacks = callbacks

    def on_fit_start(self, trainer: L.Trainer, module: StackedGradeModule) -> None:
        for s, callback in enumerate(self.callbacks):
            callback.on_fit_start(trainer, SeedView(module, s))

    def on_train_batch_end(self, trainer: L.Trainer, module: StackedGradeModule, outputs, batch, batch_idx) -> None:
        for s, callback in enumerate(self.callbacks):
            callback.on_train_batch_end(trainer, SeedView(module, s), outputs, batch, batch_idx)

    def on_train_end(self, trainer: L.Trainer, module: StackedGradeModule) -> None:
        for s, callback in enumerate(self.callbacks):
            callback.on_train_end(trainer, SeedView(module, s))
