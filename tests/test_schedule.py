import math

import pytest

from multigrade.grades.schedule import GradeSchedule, grade_schedule


def test_learning_rate_decays_exponentially_from_lr_max_to_lr_min():
    schedule = GradeSchedule(epochs=100, batch_size=256, lr_max=1e-3, lr_min=1e-5)
    assert schedule.lr_max * schedule.lr_factor(0) == pytest.approx(1e-3)
    assert schedule.lr_max * schedule.lr_factor(50) == pytest.approx(1e-4)
    assert schedule.lr_max * schedule.lr_factor(100) == pytest.approx(1e-5)
    assert schedule.gamma == pytest.approx(math.log(100) / 100)


def test_equal_rates_give_a_constant_learning_rate():
    schedule = GradeSchedule(epochs=10, batch_size=None, lr_max=1e-4, lr_min=1e-4)
    assert [schedule.lr_factor(i) for i in range(10)] == [1.0] * 10


def test_per_grade_lists_pick_the_grade_entry():
    settings = {"epochs": [20, 20, 40], "batch_size": 32, "lr_max": [1e-1, 1e-2, 1e-2], "lr_min": 1e-4}
    assert grade_schedule(settings, 3) == GradeSchedule(40, 32, 1e-2, 1e-4)
    with pytest.raises(ValueError, match=r"epochs must be one value for all grades, or one per grade \(grade 4 was"
                                         r" asked for\); got \[20, 20, 40\]"):
        grade_schedule(settings, 4)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"epochs": -5}, "epochs must be a positive integer; got -5"),
        ({"epochs": 2.5}, "epochs must be a positive integer; got 2.5"),
        ({"batch_size": 0}, r"batch_size must be a positive integer, full or null \(full batch\); got 0"),
        ({"lr_max": "fast"}, "lr_max must be a positive number; got 'fast'"),
        ({"lr_max": float("nan")}, "lr_max must be a positive number; got nan"),
        ({"lr_min": 1e-2}, r"lr_min must be at most lr_max \(0.001\): the rate decays; got 0.01"),
    ],
)
def test_bad_values_are_named(kwargs, message):
    base = {"epochs": 10, "batch_size": 8, "lr_max": 1e-3, "lr_min": 1e-4} | kwargs
    with pytest.raises(ValueError, match=message):
        GradeSchedule(**base)
