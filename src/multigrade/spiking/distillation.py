"""DNN <-> SNN knowledge distillation: a teacher and a spiking student trained together.

With logits ``z_T`` (teacher), ``z_S`` (student), temperature ``T``, the student's spike
rates ``r`` at one layer and the teacher's activation ``h`` at one layer::

    L_student = CE(z_S, y)
              + a T^2 KL(softmax(z_T / T) || softmax(z_S / T))      output path   (a > 0)
              + b (1/B) sum_i || D(r_i) - h_i ||^2                  intermediate  (b > 0)
    L_teacher = CE(z_T, y)
              + c T^2 KL(softmax(z_S / T) || softmax(z_T / T))      SNN -> DNN    (c > 0)

``D`` is a learned affine decoder from the student layer's width to the teacher layer's.
Each path's target is detached, so the student's terms train the student (and ``D``) and
the teacher's terms train the teacher; the optimised loss is their sum. A path whose weight
is 0 is not computed at all, so the ablation (student alone, +output, +intermediate,
+SNN -> DNN) is a sweep over (a, b, c). Validation and test draw the student's input spikes
from evaluation's own generator, seeded by ``eval_seed`` (see ``ScheduledModule``). The
student's ``run`` is checked on a probe before anything trains (``check_student_run``:
images of ``in_features`` pixels, ``classes`` output neurons).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from multigrade.probe import probe
from multigrade.spiking.networks import SpikingStudent, check_student_run
from multigrade.spiking.scheduled import ScheduledModule


def softened_kl(target_logits: torch.Tensor, logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """``T^2 KL(softmax(target / T) || softmax(logits / T))``, averaged over the batch."""
    log_q = F.log_softmax(logits / temperature, dim=1)
    p = F.softmax(target_logits / temperature, dim=1)
    return temperature**2 * F.kl_div(log_q, p, reduction="batchmean")


class DistillationModule(ScheduledModule):
    """The student (and, with a path on, the teacher and the decoder ``D``) trained on
    ``L_student + L_teacher`` above, with (a, b, c) = (``output_weight``,
    ``intermediate_weight``, ``snn_to_dnn_weight``) and ``T`` = ``temperature``; the
    intermediate path reads the student's ``student_layer`` and the teacher's
    ``teacher_layer``. Batches are images (B, ``in_features``) and labels (B,)."""

    def __init__(self, student: nn.Module, teacher: nn.Module | None = None, output_weight: float = 0.0,
                 intermediate_weight: float = 0.0, snn_to_dnn_weight: float = 0.0, temperature: float = 4.0,
                 student_layer: int = -1, teacher_layer: int = -1, in_features: int = 784, classes: int = 10,
                 epochs: int = 10, lr_max: float = 1e-3, lr_min: float = 1e-4, eval_seed: int = 0):
        super().__init__(epochs, lr_max, lr_min, eval_seed)
        weights = {"output_weight": output_weight, "intermediate_weight": intermediate_weight,
                   "snn_to_dnn_weight": snn_to_dnn_weight}
        if teacher is None and any(w > 0 for w in weights.values()):
            on = [name for name, w in weights.items() if w > 0]
            raise ValueError(f"{on} > 0 needs a teacher: choose teacher=mlp or teacher=cnn, or set them to 0")
        if any(w < 0 for w in weights.values()) or temperature <= 0:
            raise ValueError(f"path weights must be >= 0 and the temperature > 0; got {weights}, T = {temperature}")
        if not isinstance(student, SpikingStudent):
            raise TypeError(f"method=distill needs a SpikingStudent (student=lif_mlp, lif_cnn or loihi_mlp), not a"
                            f" {type(student).__name__}; the binary SNN trains with method=binary")
        check_student_run(student, in_features, classes)
        self.save_hyperparameters(ignore=["student", "teacher"])
        self.student, self.teacher = student, teacher
        self.decoder = self.make_decoder(in_features) if intermediate_weight > 0 else None

    @torch.no_grad()
    def make_decoder(self, in_features: int) -> nn.Linear:
        """``D``: student layer width -> teacher layer width, read off one dry forward pass
        of each network (``probe.probe``: a copy in eval mode, so batch normalisation takes
        the one image). The global random stream is left as it was, ``D``'s initialisation
        included, so runs with and without this path draw the same input spikes for the
        same seed."""
        with torch.random.fork_rng(devices=[]):
            image = torch.zeros(1, in_features)
            widths = []
            for role, net, layer in (("student", self.student, self.hparams.student_layer),
                                     ("teacher", self.teacher, self.hparams.teacher_layer)):
                features = probe(net, lambda copy: copy(image)[1], f"the {role} ({type(net).__name__})",
                                 tuple(image.shape))
                if not -len(features) <= layer < len(features):
                    raise ValueError(f"{role}_layer={layer}, but the {role} has {len(features)} hidden layer(s)")
                widths.append(features[layer].shape[1])
            return nn.Linear(*widths)

    def loss_terms(self, x: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        """The weighted terms of ``L_student + L_teacher`` (see the module docstring); a
        switched-off path has no entry."""
        hp = self.hparams
        z_s, rates = self.student(x)
        terms = {"student_ce": F.cross_entropy(z_s, labels)}
        if self.teacher is None:
            return terms
        z_t, hidden = self.teacher(x)
        terms["teacher_ce"] = F.cross_entropy(z_t, labels)
        if hp.output_weight > 0:
            terms["output"] = hp.output_weight * softened_kl(z_t.detach(), z_s, hp.temperature)
        if hp.intermediate_weight > 0:
            error = self.decoder(rates[hp.student_layer]) - hidden[hp.teacher_layer].detach()
            terms["intermediate"] = hp.intermediate_weight * error.square().sum(dim=1).mean()
        if hp.snn_to_dnn_weight > 0:
            terms["snn_to_dnn"] = hp.snn_to_dnn_weight * softened_kl(z_s.detach(), z_t, hp.temperature)
        return terms

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        terms = self.loss_terms(*batch)
        loss = torch.stack(list(terms.values())).sum()
        self.check_finite(loss, terms)
        self.log_dict({f"train/{name}": value for name, value in terms.items()}, on_step=False, on_epoch=True,
                      sync_dist=True)
        self.log("train/loss", loss, prog_bar=True, on_step=False, on_epoch=True, sync_dist=True)
        return loss

    def classify(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        spikes, membrane = self.student.run(x, self.eval_generator)
        return self.student.logits(spikes, membrane), spikes

    def evaluate(self, batch, split: str) -> None:
        x, labels = batch
        logits, spikes = self.classify(x)
        self.count_spikes([s.sum() for s in spikes], x.shape[0])
        metrics = {f"{split}/accuracy": (logits.argmax(dim=1) == labels).float().mean()}
        if self.teacher is not None:
            metrics[f"{split}/teacher_accuracy"] = (self.teacher(x)[0].argmax(dim=1) == labels).float().mean()
        self.log_dict(metrics, prog_bar=True, on_epoch=True, sync_dist=True)

    def measured(self) -> dict:
        networks = {"student": (self.student, False)}
        if self.teacher is not None:
            networks["teacher"] = (self.teacher, True)
        return networks

