"""``GradeModule``: one grade of MGDL as a LightningModule, on the epoch loop of ``GradeTraining``."""

from __future__ import annotations

import math
from pathlib import Path

import lightning.pytorch as L
import torch
from torch import nn

from multigrade import interrupts
from multigrade.epochs import is_check_epoch
from multigrade.equations.linear import LinearOperator
from multigrade.errors import IncompleteTrainingError, NonFiniteLossError
from multigrade.grades.checkpoints import load_state
from multigrade.grades.graphed import GraphedSteps, adam_fused, graph_sizes, set_step_mode
from multigrade.grades.schedule import GradeSchedule
from multigrade.grades.stair import SoftmaxHead, evaluating
from multigrade.interrupts import Interrupted
from multigrade.seeding import MINIBATCH, TRAINING_DRAWS, derive_seed, seed_device_draws


def epoch_order(points: int, schedule: GradeSchedule, seed: int, grade: int, epoch: int,
                device: torch.device) -> torch.Tensor | None:
    """The epoch's permutation of the ``points`` rows (points,), drawn on ``device`` from
    (seed, grade, epoch); None when the schedule is full batch on them."""
    if schedule.full_batch(points):
        return None
    generator = torch.Generator(device=device)
    generator.manual_seed(derive_seed(MINIBATCH, seed, grade, epoch))
    return torch.randperm(points, generator=generator, device=device)


def grade_loss(stack: nn.Module, head: nn.Module, features: torch.Tensor, residual: torch.Tensor,
               operator: nn.Module | None = None) -> torch.Tensor:
    """A grade's loss on one minibatch, a scalar: features ``Z`` (B, d), residual ``E`` (B, m).

    Squared loss ``1/(2B) sum_i ||E_i - A(H(Z_i))||^2``; for a ``SoftmaxHead`` the
    cross-entropy of its logits ``u = W H(Z) + b``, ``-1/B sum_i sum_c E_ic log softmax(u_i)_c``.
    With a linear ``operator`` L (an equation's, on all nodes at once) the residual is the
    equation's, (M, m), and the loss ``1/(2M) sum_i ||E_i - (L A(H(Z)))_i||^2``.
    """
    hidden = stack(features)
    if isinstance(head, SoftmaxHead):
        return nn.functional.cross_entropy(head.logits(hidden), residual)
    output = head(hidden) if operator is None else operator(head(hidden))
    # one kernel each way (sub-square-sum, and its gradient (E - out) / B): the same
    # gradients, bit for bit, as 0.5 * (E - out).square().sum(dim=1).mean()
    return nn.functional.mse_loss(output, residual, reduction="sum") * (0.5 / output.shape[0])


def check_distributions(residual: torch.Tensor, grade: int) -> None:
    """A softmax grade's cross-entropy needs class distributions (rows >= 0 summing to 1),
    as one-hot targets with nothing before them are; raise a ``ValueError`` otherwise."""
    if residual.min() < 0 or not torch.allclose(residual.sum(dim=1), torch.ones(()), atol=1e-4):
        raise ValueError(
            f"grade {grade} has a softmax head, but its residual targets are not class"
            f" distributions (rows >= 0 summing to 1): a softmax head fits one-hot labels as"
            f" the first grade only; use output linear for later grades and for regression"
        )


def per_model(name: str, value: float | list[float]) -> dict[str, float]:
    """``{name: value}``, or ``{name_0: value[0], ...}`` for one value per model."""
    return {f"{name}_{i}": v for i, v in enumerate(value)} if isinstance(value, list) else {name: value}


def epoch_metrics(grade: int, loss: float | list[float], lr: float | list[float]) -> dict[str, float]:
    """What grade k logs of an epoch: ``grade_<k>/loss`` and ``grade_<k>/lr`` (``_<s>`` per
    model side by side)."""
    return {**per_model(f"grade_{grade}/loss", loss), **per_model(f"grade_{grade}/lr", lr)}


class GradeTraining(L.LightningModule):
    """The epoch loop of grade training, shared by one grade (``GradeModule``) and many
    grades of one shape trained side by side (``grades.stacked.StackedGradeModule``).

    One Lightning "batch" is one epoch: its index seeds the minibatch order (drawn on the
    training device), and the loop over minibatches, the Adam steps and the learning-rate
    decay ``lr(i) = lr_max * exp(-gamma * i)`` all happen inside ``training_step``
    (manual optimisation). On a CUDA device (unless ``cuda_graph=False``) each step is
    replayed from a CUDA graph (``grades.graphed``): the same updates, at the kernels'
    cost. The loss is read on the host, checked for NaN/inf and sent to the loggers every
    ``check_every`` epochs only; between those epochs nothing waits for the device.

    It is given the cached features ``Z`` (R, d) and the residual ``E`` (R', m) that the
    grade fits (R' = R, but an equation's M equations on its N nodes); a subclass provides
    ``rows_per_model`` (N, the training points each model sees in an epoch),
    ``model_seeds`` (the seed of each model: one, or S side by side), the epoch's
    ``minibatches`` (row indices into ``Z`` and ``E``), the ``loss`` of a minibatch (a
    scalar, or one entry per model (S,), each a mean over that model's rows of the
    residual), the ``trained_parameters`` and the ``trained_buffers`` (batch
    normalisation's running statistics: what a step may change besides the parameters and
    Adam's state).
    ``loss_history`` (epochs, *loss shape) holds each epoch's mean loss, ``epochs_done``
    how many of the schedule's epochs have run.

    What the trained modules draw in an epoch (dropout's masks) comes from torch's default
    generator of the training device, seeded at the epoch's start from (the models' ``model_seeds``, grade, epoch):
    a grade resumed from an in-grade checkpoint draws what it would have drawn uninterrupted.
    """

    def __init__(self, features: torch.Tensor, residual: torch.Tensor, schedule: GradeSchedule, grade: int,
                 check_every: int, cuda_graph: bool, loss_shape: tuple[int, ...] = ()):
        super().__init__()
        self.automatic_optimization = False
        self.schedule = schedule
        self.grade = int(grade)
        self.check_every = int(check_every)
        self.cuda_graph = bool(cuda_graph)
        self.register_buffer(
            "loss_history", torch.full((schedule.epochs, *loss_shape), float("nan")), persistent=False
        )
        self.register_buffer("features", features, persistent=False)
        self.register_buffer("residual", residual, persistent=False)
        self.start_epoch = self.epochs_done = 0
        self.resumed_optimizer: dict | None = None
        self.graphs: GraphedSteps | None = None
        self.lr: torch.Tensor | None = None  # the graphs' learning rate, on the device
        self.reported_loss: float | list[float] | None = None  # the loss last read on the host

    # ---------------------------------------------------------------- loop
    @property
    def captures(self) -> bool:
        """Whether the steps run as CUDA graphs: on a CUDA device unless switched off."""
        return self.cuda_graph and self.device.type == "cuda"

    def train_dataloader(self) -> range:
        return range(self.start_epoch, self.schedule.epochs)

    def on_train_start(self) -> None:
        for epoch in range(self.start_epoch):  # a resumed grade's curve before the stop, as it was logged
            if is_check_epoch(epoch, self.check_every, self.schedule.epochs):
                self.log_epoch(epoch, self.loss_history[epoch].tolist())
        optimizer = self.optimizers(use_pl_optimizer=False)
        if self.resumed_optimizer is not None:
            optimizer.load_state_dict(self.resumed_optimizer)
        self.prepare_optimizer(optimizer)
        self.set_lr(self.start_epoch)
        if self.captures:
            models = self.loss_history[0].numel()
            self.graphs = GraphedSteps(
                self.loss, optimizer, self.features, self.residual,
                [models * size for size in graph_sizes(self.rows_per_model, self.schedule)],
                self.loss_history.shape[1:], self.trained_buffers(),
            )

    def epoch_loss_sum(self, epoch: int) -> torch.Tensor:
        """One epoch of Adam steps; returns ``sum over minibatches of B * loss`` (on the
        device, the loss's shape). The eager steps call ``backward`` as the captured ones
        do, not through Lightning's ``manual_backward`` (whose hooks cost 30 us a step on
        a CPU): the optimizer is torch's own, stepped here, with no loss scaling."""
        if self.graphs is not None:
            self.graphs.zero()
            for index in self.minibatches(epoch):
                self.graphs.replay(index)
            return self.graphs.total.clone()
        optimizer = self.optimizers(use_pl_optimizer=False)
        total = torch.zeros(self.loss_history.shape[1:], device=self.device)
        for index in self.minibatches(epoch):
            residual = self.residual[index]
            loss = self.loss(self.features[index], residual)
            optimizer.zero_grad(set_to_none=True)
            (loss if loss.dim() == 0 else loss.sum()).backward()
            optimizer.step()
            total.add_(loss.detach(), alpha=residual.shape[0] // loss.numel())
        return total

    def training_step(self, epoch: int, batch_idx: int) -> None:
        models = self.loss_history[0].numel()
        seed_device_draws(self.device, derive_seed(TRAINING_DRAWS, *self.model_seeds, self.grade, epoch))
        epoch_loss = self.epoch_loss_sum(epoch) / (self.residual.shape[0] // models)
        self.loss_history[epoch] = epoch_loss
        self.epochs_done = epoch + 1
        self.set_lr(epoch + 1)
        if is_check_epoch(epoch, self.check_every, self.schedule.epochs):
            self.reported_loss = self.check_finite(epoch, epoch_loss)
            self.log_epoch(epoch, self.reported_loss)

    def on_train_batch_end(self, outputs, epoch: int, batch_idx: int) -> None:
        """Stop after this epoch where a signal asked for it (``interrupts``), unless it
        was the grade's last (the loop saves the grade, then stops)."""
        if interrupts.requested() and epoch + 1 < self.schedule.epochs:
            raise Interrupted(interrupts.requested(), f"in grade {self.grade} after epoch {epoch + 1} of"
                              f" {self.schedule.epochs}", "the grades before it are saved: run the same command"
                              " again to train it from its start")

    def log_epoch(self, epoch: int, loss: float | list[float]) -> None:
        """Epoch ``epoch``'s mean loss and learning rate to the loggers (``epoch_metrics``),
        at step epoch + 1."""
        metrics = epoch_metrics(self.grade, loss, self.learning_rate(epoch))
        for logger in self.loggers:
            logger.log_metrics(metrics, step=epoch + 1)

    def check_complete(self) -> None:
        """Raise ``IncompleteTrainingError`` unless every epoch of the schedule ran: a trainer
        limit (``limit_train_batches``, ``max_steps``, ``max_time``) or a callback that sets
        ``should_stop`` ends ``fit`` early without an error, and a grade cut short must not
        be kept as finished."""
        if self.epochs_done < self.schedule.epochs:
            raise IncompleteTrainingError(
                f"grade {self.grade} stopped after {self.epochs_done} of its {self.schedule.epochs} epochs:"
                f" the trainer ended it early, so it is not saved as done; remove the trainer's limit"
                f" (limit_train_batches, max_steps, max_time) or the callback that stopped it, and run again"
                f" (with in-grade checkpoints, the grade continues from its last one)"
            )

    def check_finite(self, epoch: int, epoch_loss: torch.Tensor) -> float | list[float]:
        """``epoch_loss`` read on the host; raises ``NonFiniteLossError`` when NaN/inf,
        naming for each model whose loss is the first epoch it was not finite and the
        learning rate of that epoch (the losses between checks stay on the device)."""
        value = epoch_loss.tolist()
        values = value if isinstance(value, list) else [value]
        diverged = [s for s, v in enumerate(values) if not math.isfinite(v)]
        if not diverged:
            return value
        history = self.loss_history[: epoch + 1].reshape(epoch + 1, -1)  # (epochs, models)
        parts = []
        for s in diverged:
            first = int((~torch.isfinite(history[:, s])).nonzero()[0, 0])
            rate = self.learning_rate(first)
            rate = rate[s] if isinstance(rate, list) else rate
            model = f"model {s}: " if isinstance(value, list) else ""
            parts.append(f"{model}{values[s]} at epoch {epoch + 1}, not finite since epoch {first + 1}"
                         f" (learning rate {rate:.3g} there)")
        raise NonFiniteLossError(
            f"grade {self.grade}: the training loss is {'; '.join(parts)}; lower the learning rate"
            f" (train.lr_max) or check the data for NaN/inf", diverged)

    def learning_rate(self, epoch: int) -> float | list[float]:
        """The learning rate of epoch ``epoch``'s steps, ``lr_max exp(-gamma epoch)``."""
        return self.schedule.lr(epoch)

    def configure_optimizers(self):
        lr: float | torch.Tensor = self.schedule.lr_max
        if self.captures:
            self.lr = torch.tensor(self.schedule.lr_max, device=self.device)
            lr = self.lr
        return torch.optim.Adam(self.trained_parameters(), lr=lr, betas=self.schedule.betas,
                                eps=self.schedule.eps, capturable=self.captures,
                                fused=adam_fused(self.device))

    def prepare_optimizer(self, optimizer: torch.optim.Optimizer) -> None:
        """Adam in the form the steps need, whatever state was loaded into it (``set_step_mode``)."""
        set_step_mode(optimizer, self.schedule.lr_max if self.lr is None else self.lr, capturable=self.captures)

    def set_lr(self, epoch: int) -> None:
        """The learning rate of epoch ``epoch``'s steps: written into the tensor the graphs
        read, or into Adam's groups (a pure function of the epoch: no scheduler state)."""
        lr = self.schedule.lr(epoch)
        if self.lr is not None:
            self.lr.fill_(lr)
            return
        for group in self.optimizers(use_pl_optimizer=False).param_groups:
            group["lr"] = lr


class GradeModule(GradeTraining):
    """Grade k: a trainable hidden stack ``H_k`` and head ``A_k`` fitted to the residual.

    It sees its predecessors only through the cached features ``Z = phi_{k-1}(X)``
    (N, d_{k-1}) and the residual ``E = Y - f_{k-1}(X)`` (N, m) that the grade loop hands it,
    and fits ``E`` with ``grade_loss`` on minibatches of B rows::

        loss = 1/(2B) * sum_{i in batch} || E_i - A_k(H_k(Z_i)) ||^2

    (the cross-entropy for a first softmax grade), with Adam and the schedule's decay (see
    ``GradeTraining``). Given a linear equation's ``operator`` L, ``E`` is the equation's
    residual ``b - L f_{k-1}(X)`` (M, m), fitted full batch with ``L g_k(X)`` in place of
    ``g_k(X)`` (``equations.linear``). Each epoch's minibatch order is a permutation drawn
    from (seed, grade, epoch). ``targets`` Y and ``prior`` f_{k-1}(X) (N, m) are what the
    callbacks read (the spectra of ``f_k`` and ``Y - f_k``). ``resume(checkpoint)``
    continues the grade from an in-grade checkpoint: its epochs start where the
    checkpoint's ended, with Adam's state restored.
    """

    def __init__(
        self,
        stack: nn.Module,
        head: nn.Module,
        features: torch.Tensor,
        residual: torch.Tensor,
        targets: torch.Tensor,
        prior: torch.Tensor,
        schedule: GradeSchedule,
        grade: int,
        seed: int,
        check_every: int = 50,
        cuda_graph: bool = True,
        operator: LinearOperator | None = None,
    ):
        super().__init__(features, residual, schedule, grade, check_every, cuda_graph)
        if isinstance(head, SoftmaxHead):
            if operator is not None:
                raise ValueError(f"grade {grade}: an equation's grades have linear heads, not softmax")
            check_distributions(residual, grade)
        self.operator = operator
        self.stack = stack
        self.head = head
        self.seed = int(seed)
        self.register_buffer("targets", targets, persistent=False)
        self.register_buffer("prior", prior, persistent=False)

    def resume(self, checkpoint: dict, path: Path) -> None:
        """Take the weights, loss history and epochs done of an in-grade checkpoint
        (``checkpoints.InGradeCheckpoint``, read from ``path``); Adam's state follows when
        training starts."""
        remedy = f"delete {path} (the grade then starts again) or choose a fresh paths.output_dir"
        load_state(self.stack, checkpoint["stack"], path, remedy)
        load_state(self.head, checkpoint["head"], path, remedy)
        self.start_epoch = self.epochs_done = int(checkpoint["epochs_done"])
        self.loss_history[: self.start_epoch] = checkpoint["loss_history"].to(self.loss_history)
        self.resumed_optimizer = checkpoint["optimizer"]

    @property
    def rows_per_model(self) -> int:
        return self.features.shape[0]

    @property
    def model_seeds(self) -> list[int]:
        return [self.seed]

    def minibatches(self, epoch: int) -> list[torch.Tensor | slice]:
        """Index sets of one epoch: a permutation drawn from (seed, grade, epoch), split."""
        order = epoch_order(self.rows_per_model, self.schedule, self.seed, self.grade, epoch,
                            self.device)
        return [slice(None)] if order is None else list(order.split(self.schedule.batch_size))

    # ------------------------------------------------------------- training
    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """``g_k = A_k(H_k(Z))``: (N, d_{k-1}) -> (N, m)."""
        return self.head(self.stack(features))

    def loss(self, features: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        """The grade's training loss on one minibatch (see ``grade_loss``)."""
        return grade_loss(self.stack, self.head, features, residual, self.operator)

    @property
    def captures(self) -> bool:
        """As ``GradeTraining.captures``, but an equation with a sparse operator runs eagerly
        (its sparse products are not recorded in CUDA graphs)."""
        return super().captures and not (self.operator is not None and self.operator.sparse)

    def trained_parameters(self) -> list[nn.Parameter]:
        return list(self.stack.parameters()) + list(self.head.parameters())

    def trained_buffers(self) -> list[torch.Tensor]:
        return list(self.stack.buffers()) + list(self.head.buffers())

    def unstack(self) -> None:
        """Nothing to do: the trained stack and head are the grade's own modules."""

    @torch.no_grad()
    def train_output(self) -> torch.Tensor:
        """``g_k(X)`` on the cached training features, in eval mode (``evaluating``): (N, m)."""
        with evaluating(self):
            return self(self.features)
