"""Adaptive grading adds grades until the validation metric is good enough, stops
improving, or the maximum is reached, and says which."""

import json

import pytest
from hydra.utils import instantiate

from conftest import REPO, job_config
from multigrade.errors import ConfigError
from multigrade.grades.adaptive import AdaptiveGrading
from multigrade.grades.records import GradeRecord
from multigrade.settings import adaptive_grading, grade_fit, grade_schedules, grade_specs
from test_cli import run_module


def records(metric, *values):
    return [GradeRecord(k, 1.0, 10, 0.1, {f"val_{metric}": v}) for k, v in enumerate(values, start=1)]


@pytest.mark.parametrize("metric, values, rule, reason", [
    ("rse", (0.5,), dict(target=0.6), "target"),                       # an error at or below the target
    ("rse", (0.5, 0.49), dict(target=0.1, min_improvement=0.05), "stalled"),   # 2 % better, 5 % asked
    ("rse", (0.5, 0.3), dict(max_grades=2, min_improvement=0.05), "max_grades"),
    ("rse", (0.5, 0.3), dict(target=0.1, min_improvement=0.05), None),  # 40 % better: go on
    ("accuracy", (0.90, 0.95), dict(target=0.95), "target"),           # higher is better
    ("accuracy", (0.90, 0.89), dict(target=0.99), "stalled"),          # worse is a stall at any threshold
    ("psnr", (20.0, 26.0), dict(target=30.0, min_improvement=0.25), None),  # 30 % better
    # the gain is relative: 40 % better though 0.004 lower, 20 % better though 4 dB higher
    ("rse", (0.01, 0.006), dict(target=1e-4, min_improvement=0.05), None),
    ("psnr", (20.0, 24.0), dict(target=40.0, min_improvement=0.25), "stalled"),
])
def test_each_rule_stops_where_it_should(metric, values, rule, reason):
    grading = AdaptiveGrading(metric, **{"max_grades": 8, **rule})
    stopped = grading.stop(records(metric, *values))
    assert (stopped and stopped[0]) == reason
    if reason:
        assert f"val_{metric}" in stopped[1] or reason == "max_grades"


def test_bad_settings_name_the_key(tmp_path):
    with pytest.raises(ValueError, match="min_improvement is a fraction"):
        AdaptiveGrading("rse", 4, None, 1.5)
    with pytest.raises(ValueError, match="max_grades must be a positive integer"):
        AdaptiveGrading("rse", 0)
    cfg = job_config("model.adaptive=true", "model.adaptive_grading.max_grades=-2")
    with pytest.raises(ConfigError, match="model.adaptive_grading: max_grades must be a positive integer"):
        adaptive_grading(cfg, "rse")
    seeds = [job_config("model.adaptive=true", f"seed={seed}") for seed in (0, 1)]
    with pytest.raises(ConfigError, match=r"seeds must be one seed with adaptive grading \(each model stops at its"
                                          r" own grade: run the seeds as a sweep, -m seed=0,1,2\); got \[0, 1\]"):
        grade_fit(seeds, instantiate(seeds[0].data), [tmp_path / "0", tmp_path / "1"])
    assert adaptive_grading(job_config(), "rse") is None


def test_grades_past_the_listed_ones_take_the_last_listed_settings():
    cfg = job_config("experiment=p2_sin", "model.adaptive=true", "model.adaptive_grading.max_grades=6",
                     "model.adaptive_grading.widths=[32,32]")
    listed = grade_specs(cfg)
    specs, schedules = grade_specs(cfg, 6), grade_schedules(cfg, 6, extend=True)
    assert specs[:len(listed)] == listed
    assert [s.widths for s in specs[len(listed):]] == [[32, 32]] * (6 - len(listed))
    assert all(s.activation == listed[-1].activation for s in specs[len(listed):])
    assert schedules[-1] == grade_schedules(cfg, len(listed))[-1]


@pytest.mark.slow
@pytest.mark.parametrize("rule, grades, reason", [
    (["model.adaptive_grading.target=10"], 1, "target"),                     # any RSE is below 10
    (["model.adaptive_grading.min_improvement=0.99"], 2, "stalled"),         # no grade gains 99 %
    (["model.adaptive_grading.max_grades=2", "model.adaptive_grading.min_improvement=0"], 2, "max_grades"),
])
def test_an_adaptive_run_stops_and_records_why(tmp_path, rule, grades, reason):
    common = ("multigrade.run", "experiment=p1_synthetic_s2", "profile=smoke", "model.adaptive=true",
              "callbacks.progress.refresh_rate=0", f"paths.output_dir={tmp_path}", *rule)
    run_module(*common, cwd=REPO)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert len(metrics["grades"]) == metrics["adaptive"]["grades"] == grades
    assert metrics["adaptive"]["stopped"] == reason and metrics["adaptive"]["why"]
    if reason == "stalled":  # started again: restores both grades and trains none
        (tmp_path / "metrics.json").unlink()
        rerun = run_module(*common, cwd=REPO)
        assert "grades 1..2 restored" in rerun.stdout + rerun.stderr
        assert json.loads((tmp_path / "metrics.json").read_text())["grades"] == metrics["grades"]
