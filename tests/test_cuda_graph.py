"""The grades' CUDA-graph path: the eager path's numbers, resumable, and no host sync.

Needs a CUDA device (skipped without one)."""

import lightning.pytorch as L
import numpy as np
import pytest
import torch

from conftest import device_trainers, fit_model, fit_models
from multigrade.data.synthetic import p1_synthetic
from multigrade.epochs import is_check_epoch
from multigrade.grades.progress import GradeProgressLog
from multigrade.grades.records import GradeSpec
from multigrade.grades.schedule import GradeSchedule
from test_grade_loop import CrashAt

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def fit(directory, cuda_graph, batch_size=64, epochs=30, every=None, *callbacks, check_every=10):
    """Two grades of P1 setting 2 (600 points) on the GPU; with batch 64, 10 steps per epoch."""
    data = p1_synthetic(2, n_train=600, n_val=100, n_test=100)
    return fit_model(data, [GradeSpec([32, 32])] * 2, [GradeSchedule(epochs, batch_size, 1e-3, 1e-4)] * 2,
                     device_trainers("cuda", *callbacks), seed=0, checkpoint_dir=directory,
                     checkpoint_every=every, check_every=check_every, cuda_graph=cuda_graph)


@pytest.mark.parametrize("batch_size, epochs", [(64, 30), (None, 300)])
def test_graphed_steps_give_the_eager_steps_losses(tmp_path, batch_size, epochs):
    """300 Adam steps per grade (minibatches of 64 and the epoch's last 24; or full batch)."""
    _, eager = fit(tmp_path / "eager", False, batch_size, epochs)
    _, graphed = fit(tmp_path / "graphed", True, batch_size, epochs)
    assert eager[0].loss_history[-1] < eager[0].loss_history[0]  # it learns
    for e, g in zip(eager, graphed):
        np.testing.assert_allclose(g.loss_history, e.loss_history, rtol=1e-4)
        assert g.metrics["test_rse"] == pytest.approx(e.metrics["test_rse"], rel=1e-3)


def test_graphed_steps_keep_batch_norm_statistics_as_the_eager_steps_do():
    """The steps run before capturing update batch normalisation's running statistics too:
    undone with the weights, so the graphs start from the state the eager steps start from."""
    data = p1_synthetic(2, n_train=600, n_val=100, n_test=100)
    grades = [GradeSpec([32, 32], "tanh", stack="test_stacked.normalised_stack")] * 2
    schedules = [GradeSchedule(5, 64, 1e-3, 1e-4)] * 2
    eager, graphed = (dict(fit_model(data, grades, schedules, device_trainers("cuda"), seed=0,
                                     cuda_graph=graph)[0].named_buffers()) for graph in (False, True))
    assert int(graphed["hidden.1.1.num_batches_tracked"]) == 50  # 5 epochs of 10 minibatches, no more
    for name, value in eager.items():
        torch.testing.assert_close(graphed[name], value, rtol=1e-4, atol=1e-4)


def test_graphed_steps_draw_the_eager_steps_dropout_masks():
    """Each epoch seeds the generator the graphs read at every replay, so captured steps
    draw the masks the eager steps draw, whatever the steps run before capturing drew."""
    data = p1_synthetic(2, n_train=600, n_val=100, n_test=100)
    grades = [GradeSpec([32, 32], stack="test_grade_loop.dropout_stack")] * 2
    schedules = [GradeSchedule(5, 64, 1e-3, 1e-4)] * 2
    eager, graphed = (fit_model(data, grades, schedules, device_trainers("cuda"), seed=0, check_every=1,
                                cuda_graph=graph)[1] for graph in (False, True))
    for e, g in zip(eager, graphed):
        np.testing.assert_allclose(g.loss_history, e.loss_history, rtol=1e-4)


@pytest.mark.parametrize("first_path, second_path", [(True, True), (False, True), (True, False)],
                         ids=["graphed_then_graphed", "eager_then_graphed", "graphed_then_eager"])
def test_an_interrupted_grade_ends_where_an_uninterrupted_one_ends(tmp_path, first_path, second_path):
    """Killed after 8 epochs of grade 2 (checkpoint after 6), resumed on either path."""
    full_stair, full = fit(tmp_path / "full", first_path, 64, 10)
    interrupted = tmp_path / "interrupted"
    with pytest.raises(RuntimeError, match="killed"):
        fit(interrupted, first_path, 64, 10, 3, CrashAt(grade=2, epoch=7))
    stair, records = fit(interrupted, second_path, 64, 10, 3)
    tolerance = 1e-6 if first_path == second_path else 1e-4
    for a, b in zip(full, records):
        np.testing.assert_allclose(b.loss_history, a.loss_history, rtol=tolerance)
    for name, value in full_stair.state_dict().items():
        torch.testing.assert_close(stair.state_dict()[name], value, rtol=tolerance, atol=1e-6)


@pytest.mark.parametrize("rates", [(1e-3, 1e-3, 3e-3), (1e-3, 1e-3, 1e-3)], ids=["own_rates", "shared_rate"])
def test_stacked_models_on_graphs_match_their_separate_graphed_runs(rates):
    """Rates of their own (``StackedAdam``) or one shared rate (torch's fused Adam)."""
    data = p1_synthetic(2, n_train=600, n_val=100, n_test=100)
    grades = [GradeSpec([32, 32])] * 2
    schedules = [[GradeSchedule(10, 64, lr, lr / 10)] * 2 for lr in rates]
    stacked = fit_models(data, grades, schedules, device_trainers("cuda"), [0, 1, 5], check_every=10)
    for seed, own, (_, records) in zip([0, 1, 5], schedules, stacked):
        _, alone = fit_model(data, grades, own, device_trainers("cuda"), seed=seed, check_every=10)
        for a, s in zip(alone, records):
            np.testing.assert_allclose(s.loss_history, a.loss_history, rtol=1e-4)


class NoHostSync(L.Callback):
    """Makes any wait of the host for the device an error from the start of each epoch in
    which the grade reads nothing back (all but every ``check_every``-th) to the start of
    the next: the epoch's step and every hook after it (the other callbacks' and the
    module's ``on_train_batch_end``, Lightning's bookkeeping between batches). First in
    the callback list, so its ``on_train_batch_start`` runs before the others'."""

    def on_train_batch_start(self, trainer, module, batch, batch_idx):
        checked = is_check_epoch(int(batch), module.check_every, module.schedule.epochs)
        torch.cuda.set_sync_debug_mode("default" if checked else "error")

    def on_train_end(self, trainer, module):
        torch.cuda.set_sync_debug_mode("default")


@pytest.mark.parametrize("cuda_graph", [True, False], ids=["graphed", "eager"])
def test_epochs_between_loss_checks_never_wait_for_the_device(tmp_path, cuda_graph):
    """20 epochs a grade, the loss read every 10th; the progress log asks for 10 lines a
    grade, so it must keep to the epochs read anyway (every 2nd would make the host wait)."""
    try:
        fit(tmp_path, cuda_graph, 64, 20, None, NoHostSync(), GradeProgressLog(1, 2, lines=10))
    finally:
        torch.cuda.set_sync_debug_mode("default")
