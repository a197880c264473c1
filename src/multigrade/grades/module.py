"""``GradeModule``: one grade of MGDL as a LightningModule."""

from __future__ import annotations

import lightning.pytorch as L
import torch
from torch import nn

from multigrade.grades.schedule import GradeSchedule
from multigrade.grades.stair import SoftmaxHead
from multigrade.seeding import MINIBATCH, derive_seed


class NonFiniteLossError(FloatingPointError):
    """A grade's training loss became NaN or infinite."""


def check_distributions(residual: torch.Tensor, grade: int) -> None:
    """A softmax grade's cross-entropy needs class distributions (rows >= 0 summing to 1),
    as one-hot targets with nothing before them are; raise a ``ValueError`` otherwise."""
    if residual.min() < 0 or not torch.allclose(residual.sum(dim=1), torch.ones(()), atol=1e-4):
        raise ValueError(
            f"grade {grade} has a softmax head, but its residual targets are not class"
            f" distributions (rows >= 0 summing to 1): a softmax head fits one-hot labels as"
            f" the first grade only; use output linear for later grades and for regression"
        )


class GradeModule(L.LightningModule):
    """Grade k: a trainable hidden stack ``H_k`` and head ``A_k`` on a frozen backbone.

    The backbone ``phi_{k-1}`` (the hidden stacks of grades 1..k-1, frozen) is injected and
    evaluated once, at the start of fitting, on the training inputs; the cached features
    ``Z = phi_{k-1}(X)`` (N, d_{k-1}) are all the grade ever sees of its predecessors.
    The grade fits the residual ``E = Y - F_{k-1}(X)`` (N, m) of the grades before it::

        loss = 1/(2B) * sum_{i in batch} || E_i - A_k(H_k(Z_i)) ||^2

    or, when the head is a ``SoftmaxHead`` (a first classification grade, E = Y one-hot),
    the cross-entropy of its logits ``u = W H_k(Z) + b``::

        loss = -1/B * sum_{i in batch} sum_c E_ic log softmax(u_i)_c

    One Lightning "batch" is one epoch of the grade: its index ``i`` seeds the minibatch
    permutation (drawn on the training device from (seed, grade, i)), and the loop over
    minibatches, the Adam steps and the learning-rate decay all happen inside
    ``training_step`` (manual optimisation), so no per-step data loading or host sync.
    ``resume(checkpoint)`` continues the grade from an in-grade checkpoint: its epochs
    start where the checkpoint's ended, with Adam's and the scheduler's state restored.
    """

    def __init__(
        self,
        backbone: nn.Module,
        stack: nn.Module,
        head: nn.Module,
        inputs: torch.Tensor,
        targets: torch.Tensor,
        prior: torch.Tensor,
        schedule: GradeSchedule,
        grade: int,
        seed: int,
        check_every: int = 50,
    ):
        super().__init__()
        if inputs.shape[0] != targets.shape[0] or targets.shape != prior.shape:
            raise ValueError(
                f"inputs {tuple(inputs.shape)}, targets {tuple(targets.shape)} and prior "
                f"{tuple(prior.shape)} must agree: (N, d), (N, m), (N, m)"
            )
        if isinstance(head, SoftmaxHead):
            check_distributions(targets - prior, grade)
        self.automatic_optimization = False
        self.backbone = backbone
        self.stack = stack
        self.head = head
        self.schedule = schedule
        self.grade = int(grade)
        self.seed = int(seed)
        self.check_every = max(1, int(check_every))
        self.register_buffer("inputs", inputs, persistent=False)
        self.register_buffer("targets", targets, persistent=False)
        self.register_buffer("prior", prior, persistent=False)
        self.register_buffer(
            "loss_history", torch.full((schedule.epochs,), float("nan")), persistent=False
        )
        self.features: torch.Tensor | None = None
        self.residual: torch.Tensor | None = None
        self.start_epoch = 0
        self.resumed_states: dict | None = None

    def resume(self, checkpoint: dict) -> None:
        """Take the weights, loss history and epochs done of an in-grade checkpoint
        (``checkpoints.InGradeCheckpoint``); Adam's and the scheduler's state follow when
        training starts."""
        self.stack.load_state_dict(checkpoint["stack"])
        self.head.load_state_dict(checkpoint["head"])
        self.start_epoch = int(checkpoint["epochs_done"])
        self.loss_history[: self.start_epoch] = checkpoint["loss_history"].to(self.loss_history)
        self.resumed_states = {"optimizer": checkpoint["optimizer"], "scheduler": checkpoint["scheduler"]}

    def on_train_start(self) -> None:
        if self.resumed_states is not None:
            self.optimizers(use_pl_optimizer=False).load_state_dict(self.resumed_states["optimizer"])
            self.lr_schedulers().load_state_dict(self.resumed_states["scheduler"])

    # ----------------------------------------------------------------- data
    def on_fit_start(self) -> None:
        self.features = self.cache_features()
        self.residual = self.targets - self.prior

    @torch.no_grad()
    def cache_features(self) -> torch.Tensor:
        """``phi_{k-1}(X)`` (N, d_{k-1}), computed once per grade by the frozen backbone."""
        self.backbone.eval()
        return self.backbone(self.inputs)

    def train_dataloader(self) -> range:
        return range(self.start_epoch, self.schedule.epochs)

    def minibatches(self, epoch: int) -> list[torch.Tensor | slice]:
        """Index sets of one epoch: a permutation drawn from (seed, grade, epoch), split."""
        n = self.inputs.shape[0]
        size = self.schedule.batch_size
        if size is None or size >= n:
            return [slice(None)]
        generator = torch.Generator(device=self.device)
        generator.manual_seed(derive_seed(MINIBATCH, self.seed, self.grade, epoch))
        order = torch.randperm(n, generator=generator, device=self.device)
        return list(order.split(size))

    # ------------------------------------------------------------- training
    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """``g_k = A_k(H_k(Z))``: (N, d_{k-1}) -> (N, m)."""
        return self.head(self.stack(features))

    def loss(self, features: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        """The grade's training loss on one minibatch (see the class docstring)."""
        hidden = self.stack(features)
        if isinstance(self.head, SoftmaxHead):
            return nn.functional.cross_entropy(self.head.logits(hidden), residual)
        return 0.5 * (residual - self.head(hidden)).square().sum(dim=1).mean()

    def training_step(self, epoch: int, batch_idx: int) -> None:
        optimizer = self.optimizers(use_pl_optimizer=False)
        scheduler = self.lr_schedulers()
        n = self.inputs.shape[0]
        total = torch.zeros((), device=self.device)
        for index in self.minibatches(epoch):
            residual = self.residual[index]
            loss = self.loss(self.features[index], residual)
            optimizer.zero_grad(set_to_none=True)
            self.manual_backward(loss)
            optimizer.step()
            total += loss.detach() * residual.shape[0]
        epoch_loss = total / n
        self.loss_history[epoch] = epoch_loss
        scheduler.step()
        self.log("loss", epoch_loss, prog_bar=True, logger=False)
        if (epoch + 1) % self.check_every == 0 or epoch + 1 == self.schedule.epochs:
            self.check_finite(epoch, epoch_loss)
            if self.loggers:
                self.log_dict(
                    {f"grade_{self.grade}/loss": epoch_loss,
                     f"grade_{self.grade}/lr": scheduler.get_last_lr()[0]},
                    logger=True,
                )

    def check_finite(self, epoch: int, epoch_loss: torch.Tensor) -> None:
        if not torch.isfinite(epoch_loss):
            lr = self.schedule.lr_max * self.schedule.lr_factor(epoch)
            raise NonFiniteLossError(
                f"grade {self.grade}: the training loss is {epoch_loss.item()} at epoch {epoch + 1}"
                f" (learning rate {lr:.3g}); lower the learning rate (train.lr_max) or check the"
                f" data for NaN/inf"
            )

    def configure_optimizers(self):
        params = list(self.stack.parameters()) + list(self.head.parameters())
        optimizer = torch.optim.Adam(
            params, lr=self.schedule.lr_max, betas=self.schedule.betas, eps=self.schedule.eps
        )
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, self.schedule.lr_factor)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "epoch"}}

    @torch.no_grad()
    def train_output(self) -> torch.Tensor:
        """``g_k(X)`` on the cached training features: (N, m)."""
        return self(self.features if self.features is not None else self.cache_features())
