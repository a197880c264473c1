"""Seeds trained as one stacked model take the steps each takes trained alone."""

import numpy as np
import pytest
import torch

from conftest import cpu_trainers
from multigrade.data.synthetic import p1_synthetic
from multigrade.grades.loop import fit_grades
from multigrade.grades.records import GradeSpec
from multigrade.grades.schedule import GradeSchedule
from multigrade.grades.stacked import fit_seeds_stacked

SEEDS = [0, 1, 5]


@pytest.mark.parametrize("batch_size, epochs", [(64, 6), (None, 40)], ids=["minibatch", "full_batch"])
def test_stacked_seeds_match_their_separate_runs(batch_size, epochs):
    data = p1_synthetic(2, n_train=600, n_val=100, n_test=100)
    grades, schedules = [GradeSpec([16, 16])] * 2, [GradeSchedule(epochs, batch_size, 1e-3, 1e-4)] * 2
    stacked = fit_seeds_stacked(data, grades, schedules, cpu_trainers(), SEEDS)
    finals = []
    for seed, (stair, records) in zip(SEEDS, stacked):
        alone_stair, alone = fit_grades(data, grades, schedules, cpu_trainers(), seed=seed)
        for a, s in zip(alone, records):
            np.testing.assert_allclose(s.loss_history, a.loss_history, rtol=1e-5)
            assert s.metrics == pytest.approx(a.metrics, rel=1e-5)
        for name, value in alone_stair.state_dict().items():
            torch.testing.assert_close(stair.state_dict()[name], value, rtol=1e-4, atol=1e-6)
        assert records[0].loss_history[-1] < records[0].loss_history[0]  # it learns
        finals.append(records[-1].final_loss)
    assert len(set(finals)) == len(SEEDS)  # the seeds are different models


def test_seeds_and_modules_must_agree_in_number():
    from multigrade.grades.stacked import StackedGradeModule
    x = torch.zeros(4, 1)
    with pytest.raises(ValueError, match="2 seeds need as many backbones"):
        StackedGradeModule([torch.nn.Identity()], [torch.nn.Linear(1, 2)] * 2, [torch.nn.Linear(2, 1)] * 2,
                           x, x, [x, x], GradeSchedule(1, None, 1e-3, 1e-3), 1, [0, 1])
