import copy
import itertools
import logging
import re
import shutil
import time

import lightning.pytorch as L
import numpy as np
import pytest
import torch
from lightning.pytorch.loggers import Logger
from torch import nn

from conftest import cpu_trainers, fit_model
from multigrade.data.synthetic import p1_synthetic
from multigrade.equations.linear import LinearEquation, LinearOperator
from multigrade.errors import CheckpointError, IncompleteTrainingError, NonFiniteLossError
from multigrade.grades.checkpoints import GradeCheckpoints
from multigrade.grades.loop import predict, run_identity
from multigrade.grades.module import GradeModule, grade_loss
from multigrade.grades.progress import GradeProgressLog
from multigrade.grades.records import GradeSpec
from multigrade.grades.schedule import GradeSchedule
from multigrade.grades.stair import hidden_stack
from multigrade.metrics import rse
from multigrade.tracking import log_grade, log_grades, log_losses


class FeatureProbe(L.Callback):
    """What each grade's module holds: its frozen parameters, and the cached features."""

    def __init__(self):
        self.frozen_parameters: list[int] = []
        self.features: list[torch.Tensor] = []

    def on_fit_start(self, trainer, pl_module):
        self.frozen_parameters.append(sum(p.numel() for p in pl_module.parameters() if not p.requires_grad))

    def on_train_end(self, trainer, pl_module):
        self.features.append(pl_module.features.clone())


@pytest.fixture(scope="module")
def trained():
    """Three grades of setting 2, a few epochs each, with snapshots after every grade."""
    data = p1_synthetic(2)
    probe = FeatureProbe()
    snapshots = []
    schedules = [GradeSchedule(epochs=6, batch_size=256, lr_max=2e-3, lr_min=1e-3)] * 3
    stair, records = fit_model(
        data, [GradeSpec([64, 64])] * 3, schedules, cpu_trainers(probe), seed=0,
        on_grade_end=lambda s, r: snapshots.append(copy.deepcopy(s.state_dict())),
    )
    return data, stair, records, probe, snapshots


def test_each_grade_lowers_the_residual(trained):
    _, _, records, _, _ = trained
    for split in ("train_rse", "val_rse", "test_rse"):
        values = [r.metrics[split] for r in records]
        assert all(b < a for a, b in zip(values, values[1:])), (split, values)
    assert records[0].metrics["train_rse"] < 1.0


def test_earlier_grades_stay_bit_identical(trained):
    _, stair, _, _, snapshots = trained
    final = stair.state_dict()
    for grade, snapshot in enumerate(snapshots[:-1], start=1):
        for name, value in snapshot.items():
            assert torch.equal(final[name], value), f"{name} changed after grade {grade}"
    assert all(not p.requires_grad for p in stair.parameters())


def test_a_grade_holds_no_frozen_grade_only_their_cached_features(trained):
    """The frozen grades are evaluated once per grade, by the loop: the grade's module
    holds none of them (nothing to evaluate per step), and its features are theirs."""
    data, stair, _, probe, _ = trained
    assert probe.frozen_parameters == [0, 0, 0]
    for k, cached in enumerate(probe.features, start=1):
        recomputed = stair.backbone(k - 1)(data.x_train)
        torch.testing.assert_close(cached, recomputed, rtol=0, atol=0)


def test_metrics_are_those_of_the_stair_prediction(trained):
    data, stair, records, _, _ = trained
    assert records[-1].metrics["test_rse"] == pytest.approx(rse(data.y_test, predict(stair, data.x_test)), rel=1e-12)


def test_sgdl_is_one_grade_of_the_total_depth():
    data = p1_synthetic(2, n_train=600, n_val=100, n_test=100)
    stair, records = fit_model(data, [GradeSpec([32] * 4)], [GradeSchedule(3, 64, 1e-3, 1e-3)],
                               cpu_trainers(), seed=0)
    assert stair.num_grades == 1 and len(records) == 1
    assert sum(isinstance(m, torch.nn.Linear) for m in stair.hidden[0]) == 4


def test_same_seed_same_numbers_other_seed_other_numbers():
    data = p1_synthetic(1, n_train=600, n_val=100, n_test=100)

    def final_rse(seed):
        _, records = fit_model(data, [GradeSpec([16])] * 2, [GradeSchedule(3, 64, 1e-3, 1e-3)] * 2,
                               cpu_trainers(), seed=seed)
        return [r.metrics["train_rse"] for r in records]

    assert final_rse(3) == final_rse(3)
    assert final_rse(3) != final_rse(4)


def test_exploding_loss_stops_with_a_clear_error():
    """The loss is read every third epoch; the error names the epoch it first diverged at,
    and the learning rate there, not the rate decayed since."""
    data = p1_synthetic(2, n_train=600, n_val=100, n_test=100)
    with pytest.raises(NonFiniteLossError, match=r"grade 1: the training loss is nan at epoch 3, not finite since"
                                                 r" epoch 1 \(learning rate 1e\+30 there\); lower the learning rate"):
        fit_model(data, [GradeSpec([16, 16])], [GradeSchedule(6, 64, 1e30, 1e-3)], cpu_trainers(), seed=0,
                  check_every=3)


def test_checkpoints_rebuild_the_stair(tmp_path, trained):
    data = p1_synthetic(2, n_train=600, n_val=100, n_test=100)
    stair, _ = fit_model(data, [GradeSpec([16])] * 2, [GradeSchedule(2, 64, 1e-3, 1e-3)] * 2,
                         cpu_trainers(), seed=0, checkpoint_dir=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grade_1.pt", "grade_2.pt"]
    saved = torch.load(tmp_path / "grade_2.pt", weights_only=True)
    assert saved["specs"] == stair.specs and saved["record"]["grade"] == 2
    for name, value in stair.state_dict().items():
        assert torch.equal(saved["state_dict"][name], value)
    assert np.isfinite(saved["record"]["test_rse"])


def small_run(tmp_path, seed=0, epochs=3, n_test=100, every=None, *callbacks):
    data = p1_synthetic(2, n_train=600, n_val=100, n_test=n_test)
    return fit_model(data, [GradeSpec([16, 16])] * 3, [GradeSchedule(epochs, 64, 1e-3, 1e-4)] * 3,
                     cpu_trainers(*callbacks), seed=seed, checkpoint_dir=tmp_path, checkpoint_every=every)


class EpochLog(L.Callback):
    """The (grade, epoch) pairs actually trained, in order."""

    def __init__(self):
        self.trained: list[tuple[int, int]] = []

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
        self.trained.append((module.grade, int(batch)))


class CrashAt(L.Callback):
    """Stops the run with an error at the end of one epoch of one grade (a simulated kill)."""

    def __init__(self, grade, epoch):
        self.grade, self.epoch = grade, epoch

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
        if module.grade == self.grade and int(batch) == self.epoch:
            raise RuntimeError("killed")


def dropout_stack(in_features: int, widths: list[int], activations: str) -> nn.Module:
    """Affine layers with their activations, then dropout: a grade that draws in training."""
    return nn.Sequential(hidden_stack(in_features, widths, activations), nn.Dropout(0.3))


def test_a_grade_with_dropout_resumed_midway_draws_the_masks_it_would_have_drawn(tmp_path):
    data = p1_synthetic(2, n_train=600, n_val=100, n_test=100)

    def fit(folder, *callbacks):
        return fit_model(data, [GradeSpec([16, 16], stack=f"{__name__}.dropout_stack")] * 2,
                         [GradeSchedule(8, 64, 1e-3, 1e-4)] * 2, cpu_trainers(*callbacks), seed=0,
                         checkpoint_dir=folder, checkpoint_every=3)

    full_stair, full = fit(tmp_path / "full")
    with pytest.raises(RuntimeError, match="killed"):
        fit(tmp_path / "interrupted", CrashAt(grade=2, epoch=4))  # epochs 1..3 of grade 2 checkpointed
    torch.manual_seed(123)  # a new process starts from another state of torch's generator
    stair, records = fit(tmp_path / "interrupted")
    np.testing.assert_array_equal(records[1].loss_history, full[1].loss_history)
    for name, value in full_stair.state_dict().items():
        assert torch.equal(stair.state_dict()[name], value), name


STACK_EDITED = False


def editable_stack(in_features: int, widths: list[int], activations: str) -> nn.Module:
    """Affine layers with their activations, then (once ``STACK_EDITED``) layer normalisation:
    a stack of one's own whose code changed between a run and its restart."""
    stack = hidden_stack(in_features, widths, activations)
    return nn.Sequential(stack, nn.LayerNorm(widths[-1])) if STACK_EDITED else stack


def test_a_restart_after_ones_stack_changed_names_the_checkpoint_that_no_longer_fits(tmp_path, monkeypatch):
    data = p1_synthetic(2, n_train=600, n_val=100, n_test=100)

    def fit(folder, *callbacks):
        return fit_model(data, [GradeSpec([16], stack=f"{__name__}.editable_stack")] * 2,
                         [GradeSchedule(6, 64, 1e-3, 1e-4)] * 2, cpu_trainers(*callbacks), seed=0,
                         checkpoint_dir=folder, checkpoint_every=3)

    fit(tmp_path / "done")
    with pytest.raises(RuntimeError, match="killed"):
        fit(tmp_path / "partial", CrashAt(grade=1, epoch=4))
    monkeypatch.setattr(f"{__name__}.STACK_EDITED", True)
    with pytest.raises(CheckpointError, match=r"grade_2.pt does not fit this configuration's networks \(Error\(s\) in"
                                              r" loading state_dict .*\): it was written by other code.*; delete"):
        fit(tmp_path / "done")
    with pytest.raises(CheckpointError, match=r"grade_1.partial.pt does not fit .* delete .*grade_1.partial.pt"
                                              r" \(the grade then starts again\)"):
        fit(tmp_path / "partial")


def test_a_grade_interrupted_midway_continues_from_its_last_in_grade_checkpoint(tmp_path):
    full_stair, full = small_run(tmp_path / "full", 0, 10)
    interrupted = tmp_path / "interrupted"
    with pytest.raises(RuntimeError, match="killed"):
        small_run(interrupted, 0, 10, 100, 3, CrashAt(grade=2, epoch=7))  # epochs 1..8 of grade 2 done
    assert sorted(p.name for p in interrupted.iterdir()) == ["grade_1.pt", "grade_2.partial.pt"]
    assert torch.load(interrupted / "grade_2.partial.pt", weights_only=True)["epochs_done"] == 6
    partial = (interrupted / "grade_2.partial.pt").read_bytes()
    (interrupted / "grade_2.partial.pt").write_bytes(partial[:100])  # cut short
    with pytest.raises(CheckpointError, match="grade_2.partial.pt .* corrupt .* delete it"):
        small_run(interrupted, 0, 10, 100, 3)
    (interrupted / "grade_2.partial.pt").write_bytes(partial)
    log = EpochLog()
    stair, records = small_run(interrupted, 0, 10, 100, 3, log)
    assert log.trained == [(2, e) for e in range(6, 10)] + [(3, e) for e in range(10)]
    assert [r.summary() | {"seconds": 0} for r in records] == [r.summary() | {"seconds": 0} for r in full]
    for name, value in full_stair.state_dict().items():
        assert torch.equal(stair.state_dict()[name], value), name
    assert not list(interrupted.glob("*.partial.pt"))


def test_a_resumed_grade_counts_the_seconds_spent_before_it_stopped(tmp_path, monkeypatch):
    """A grade's seconds are those its in-grade checkpoint saved plus those after the
    restart: on a clock that ticks a second a reading, a grade resumed from a checkpoint
    that says 1000 s takes 1000 s more than one resumed from the same checkpoint saying 0."""
    ticks = itertools.count()
    monkeypatch.setattr(time, "perf_counter", lambda: float(next(ticks)))
    with pytest.raises(RuntimeError, match="killed"):
        small_run(tmp_path / "a", 0, 10, 100, 3, CrashAt(grade=1, epoch=7))
    partial = torch.load(tmp_path / "a" / "grade_1.partial.pt", weights_only=True)
    assert partial["seconds"] >= 1
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    resumed = {}
    for name, saved in (("a", 1000.0), ("b", 0.0)):
        torch.save(partial | {"seconds": saved}, tmp_path / name / "grade_1.partial.pt")
        ticks = itertools.count()  # the same readings after each restart
        resumed[name] = [r.seconds for r in small_run(tmp_path / name, 0, 10, 100, 3)[1]]
    assert resumed["b"][0] > 0 and resumed["a"] == [resumed["b"][0] + 1000.0, *resumed["b"][1:]]


def test_a_grade_the_trainer_cuts_short_is_not_saved_as_done(tmp_path):
    def limited(grade, total):
        return L.Trainer(accelerator="cpu", max_epochs=1, limit_train_batches=3, logger=False,
                         enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False)

    data = p1_synthetic(2, n_train=600, n_val=100, n_test=100)
    with pytest.raises(IncompleteTrainingError, match="grade 1 stopped after 3 of its 6 epochs.*limit_train_batches"):
        fit_model(data, [GradeSpec([16])] * 2, [GradeSchedule(6, 64, 1e-3, 1e-4)] * 2, limited, seed=0,
                  checkpoint_dir=tmp_path)
    assert not list(tmp_path.iterdir())


def test_a_rerun_resumes_after_the_last_completed_grade(tmp_path):
    full_stair, full = small_run(tmp_path / "full")
    interrupted = tmp_path / "interrupted"
    small_run(interrupted)
    (interrupted / "grade_3.pt").unlink()  # as if killed during grade 3
    (interrupted / "grade_2.pt").unlink()
    log = EpochLog()
    stair, records = small_run(interrupted, 0, 3, 100, None, log)
    assert log.trained == [(2, e) for e in range(3)] + [(3, e) for e in range(3)]
    assert [r.summary() | {"seconds": 0} for r in records] == [r.summary() | {"seconds": 0} for r in full]
    for name, value in full_stair.state_dict().items():
        assert torch.equal(stair.state_dict()[name], value), name


def test_checkpoints_of_another_run_are_refused(tmp_path):
    small_run(tmp_path)
    with pytest.raises(CheckpointError, match="written by a different run.*fresh paths.output_dir"):
        small_run(tmp_path, seed=1)
    with pytest.raises(CheckpointError, match="written by a different run"):
        small_run(tmp_path, epochs=4)
    with pytest.raises(CheckpointError, match="written by a different run.*data_sha1"):
        small_run(tmp_path, n_test=101)  # same experiment name, other data


def test_the_checkpoints_a_restart_would_refuse_are_refused_before_it_starts(tmp_path):
    data = p1_synthetic(2, n_train=600, n_val=100, n_test=100)
    grades, identity = [GradeSpec([16, 16])] * 3, run_identity(data, 0)

    def check_grade_files(folder, grades, schedules, identity, checkpoint_every=None):
        GradeCheckpoints(folder, identity, every=checkpoint_every).check(grades, schedules)

    schedules = [GradeSchedule(10, 64, 1e-3, 1e-4)] * 3
    with pytest.raises(RuntimeError, match="killed"):  # grade 2 stopped after its in-grade checkpoint
        small_run(tmp_path, 0, 10, 100, 3, CrashAt(grade=2, epoch=7))
    check_grade_files(tmp_path, grades, schedules, identity, checkpoint_every=3)  # this run's: taken
    other = [GradeSchedule(10, 64, 1e-3, 1e-4), GradeSchedule(10, 64, 2e-3, 1e-4), GradeSchedule(10, 64, 1e-3, 1e-4)]
    with pytest.raises(CheckpointError, match=r"grade_2.partial.pt was written by a different run \(schedule.lr_max:"
                                              r" 0.001 \(the file\), 0.002 \(this run\)\)"):
        check_grade_files(tmp_path, grades, other, identity, checkpoint_every=3)  # grade 2's own rate differs
    check_grade_files(tmp_path, grades, other, identity)  # without in-grade checkpoints a restart never reads it
    nudge_first_grade(tmp_path)  # grade 2's in-grade file now sits on other grades than grade_1.pt holds
    with pytest.raises(CheckpointError, match=r"grade_2.partial.pt was written by a different run \(frozen_grades:"):
        check_grade_files(tmp_path, grades, schedules, identity, checkpoint_every=3)
    with pytest.raises(CheckpointError, match=r"grade_1.pt was written by a different run \(seed: 0 \(the file\),"
                                              r" 1 \(this run\)\)"):
        check_grade_files(tmp_path, grades, schedules, run_identity(data, 1))
    (tmp_path / "grade_1.pt").write_bytes(b"\x00 cut short")
    with pytest.raises(CheckpointError, match="grade_1.pt .* corrupt .* delete it"):
        check_grade_files(tmp_path, grades, schedules, identity)


def test_a_corrupt_checkpoint_is_named(tmp_path):
    small_run(tmp_path)
    (tmp_path / "grade_2.pt").write_bytes(b"\x00 not a checkpoint")
    with pytest.raises(CheckpointError, match="grade_2.pt .* corrupt .* delete it"):
        small_run(tmp_path)
    torch.save({"weights": torch.zeros(3)}, tmp_path / "grade_2.pt")  # readable, but not a grade's
    with pytest.raises(CheckpointError, match="grade_2.pt is not a multigrade grade checkpoint .it lacks specs,"):
        small_run(tmp_path)


def nudge_first_grade(folder) -> None:
    """grade_1.pt with its grade's first weight moved: grade 1 of another run of these settings."""
    payload = torch.load(folder / "grade_1.pt", weights_only=True)
    payload["state_dict"]["hidden.0.0.weight"][0, 0] += 1e-3
    torch.save(payload, folder / "grade_1.pt")


def test_a_grade_trained_on_other_grades_is_refused(tmp_path):
    small_run(tmp_path / "whole")
    nudge_first_grade(tmp_path / "whole")
    with pytest.raises(CheckpointError, match="grade_2.pt was trained on other grades than the files before it"):
        small_run(tmp_path / "whole")
    with pytest.raises(RuntimeError, match="killed"):  # grade 2 stopped after its in-grade checkpoint
        small_run(tmp_path / "partial", 0, 10, 100, 3, CrashAt(grade=2, epoch=7))
    nudge_first_grade(tmp_path / "partial")
    with pytest.raises(CheckpointError, match="grade_2.partial.pt was written by a different run.*frozen_grades"):
        small_run(tmp_path / "partial", 0, 10, 100, 3)


def test_a_restart_removes_what_a_kill_left_of_its_writes(tmp_path):
    small_run(tmp_path)
    (tmp_path / ".grade_3.pt.x1y2.tmp").write_bytes(b"half a grade")  # killed while writing
    torch.save({}, tmp_path / "grade_2.partial.pt")  # killed before removing it
    small_run(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grade_1.pt", "grade_2.pt", "grade_3.pt"]


def test_a_restart_whose_stop_rule_ends_earlier_restores_fewer_grades(tmp_path):
    """Adaptive grading asks its rule before every grade after the first, restored or trained."""
    data = p1_synthetic(2, n_train=600, n_val=100, n_test=100)
    grades, schedules = [GradeSpec([16])] * 3, [GradeSchedule(2, 64, 1e-3, 1e-4)] * 3
    _, trained = fit_model(data, grades, schedules, cpu_trainers(), seed=0, checkpoint_dir=tmp_path)

    def after_two(records):
        return "two grades" if len(records) == 2 else None

    stair, records = fit_model(data, grades, schedules, cpu_trainers(), seed=0, checkpoint_dir=tmp_path,
                               stop=after_two)
    assert len(trained) == 3 and len(records) == stair.num_grades == 2


class RecordingLogger(Logger):
    """Keeps every ``log_metrics`` call as (step, metrics)."""

    def __init__(self):
        super().__init__()
        self.logged: list[tuple[int, dict]] = []

    @property
    def name(self):
        return "recording"

    @property
    def version(self):
        return 0

    def log_metrics(self, metrics, step=None):
        self.logged.append((step, dict(metrics)))

    def log_hyperparams(self, *args, **kwargs):
        pass


def test_the_logged_curve_pairs_each_epochs_loss_with_the_rate_it_trained_at():
    schedule = GradeSchedule(4, 64, 1e-2, 1e-3)
    live = RecordingLogger()
    trainer = L.Trainer(accelerator="cpu", max_epochs=1, logger=live, enable_progress_bar=False,
                        enable_model_summary=False, enable_checkpointing=False)
    data = p1_synthetic(2, n_train=600, n_val=100, n_test=100)
    _, (record,) = fit_model(data, [GradeSpec([16])], [schedule], lambda k, total: trainer, seed=0,
                             check_every=1)
    assert [step for step, _ in live.logged] == [1, 2, 3, 4]
    for step, metrics in live.logged:
        assert metrics["grade_1/lr"] == pytest.approx(schedule.lr(step - 1), rel=1e-12)
        assert metrics["grade_1/loss"] == pytest.approx(float(record.loss_history[step - 1]), rel=1e-6)
    replayed = RecordingLogger()
    log_losses(replayed, [record], [schedule], every=1)  # the curve of a model trained side by side
    assert replayed.logged == live.logged


def test_a_restarted_run_logs_its_restored_grades_as_their_training_logged_them(tmp_path):
    """A logger starts afresh with a restarted run (Lightning's CSV logger empties its file):
    the grades restored from checkpoints are logged again, curves and metrics, as trained."""
    data = p1_synthetic(2, n_train=600, n_val=100, n_test=100)
    grades, schedules = [GradeSpec([16])] * 2, [GradeSchedule(5, 64, 1e-2, 1e-3)] * 2

    def run(logger):
        def trainers(k, total):
            return L.Trainer(accelerator="cpu", max_epochs=1, logger=logger, enable_progress_bar=False,
                             enable_model_summary=False, enable_checkpointing=False)

        return fit_model(data, grades, schedules, trainers, seed=0, checkpoint_dir=tmp_path, check_every=2,
                         on_grade_end=lambda stair, record: log_grade(logger, record),
                         on_restored=lambda records: log_grades(logger, [records], [schedules], every=2))

    live, restored = RecordingLogger(), RecordingLogger()
    run(live)
    run(restored)
    assert [step for step, _ in live.logged] == [2, 4, 5, 1, 2, 4, 5, 2]  # grade 1's curve and metrics, grade 2's
    assert restored.logged == live.logged


def test_an_equation_with_more_equations_than_nodes_reports_its_mean_loss():
    torch.manual_seed(0)
    nodes = 50
    x = torch.linspace(0, 1, nodes).unsqueeze(1)
    operator = LinearOperator(np.vstack([np.eye(nodes), 2 * np.eye(nodes)]))  # M = 2N equations
    rhs = torch.randn(2 * nodes, 1)
    stack, head = nn.Sequential(nn.Linear(1, 8), nn.Tanh()), nn.Linear(8, 1)
    first_loss = grade_loss(copy.deepcopy(stack), copy.deepcopy(head), x, rhs, operator).item()
    zeros = torch.zeros(nodes, 1)
    equation = LinearEquation(operator, rhs)
    module = GradeModule(stack, head, x, equation.residual(zeros), zeros, zeros, GradeSchedule(1, None, 1e-3, 1e-3),
                         1, 0, operator=operator)
    cpu_trainers()(1, 1).fit(module)
    assert module.loss_history[0].item() == pytest.approx(first_loss, rel=1e-6)


def test_a_grade_stack_of_ones_own_is_restored_from_its_checkpoint_and_must_match(tmp_path):
    data = p1_synthetic(2, n_train=600, n_val=100, n_test=100)
    grades = [GradeSpec([8, 16], "tanh", stack="test_stair.halving_stack"), GradeSpec([16])]
    schedules = [GradeSchedule(2, 64, 1e-3, 1e-3)] * 2
    stair, records = fit_model(data, grades, schedules, cpu_trainers(), seed=0, checkpoint_dir=tmp_path)
    assert "hidden.0.1.copies" in torch.load(tmp_path / "grade_2.pt", weights_only=True)["state_dict"]
    restored, again = fit_model(data, grades, schedules, cpu_trainers(), seed=0, checkpoint_dir=tmp_path)
    assert [r.metrics for r in again] == [r.metrics for r in records]
    torch.testing.assert_close(restored(data.x_test), stair(data.x_test), rtol=0, atol=0)
    plain = [GradeSpec([8, 16], "tanh"), GradeSpec([16])]
    with pytest.raises(CheckpointError, match="written by a different run"):
        fit_model(data, plain, schedules, cpu_trainers(), seed=0, checkpoint_dir=tmp_path)


@pytest.mark.parametrize("check_every, logged", [(10, [10, 20, 25]), (1, [3, 6, 9, 12, 15, 18, 21, 24, 25])])
def test_the_progress_log_keeps_to_the_epochs_whose_loss_the_grade_reads(caplog, check_every, logged):
    """Ten lines asked for 25 epochs: every third epoch where each epoch's loss is read,
    only the read ones (every tenth, and the last) where the loss is read every tenth."""
    data = p1_synthetic(2, n_train=600, n_val=100, n_test=100)
    with caplog.at_level(logging.INFO, logger="multigrade.grades.progress"):
        fit_model(data, [GradeSpec([16, 16])], [GradeSchedule(25, 64, 1e-3, 1e-4)],
                  cpu_trainers(GradeProgressLog(1, 1, lines=10)), seed=0, check_every=check_every)
    assert [int(e) for e in re.findall(r"grade 1/1 epoch (\d+)/25 loss", caplog.text)] == logged
