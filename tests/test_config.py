import pytest
from hydra.errors import ConfigCompositionException
from hydra.utils import instantiate
from omegaconf import OmegaConf

from conftest import job_config
from multigrade.errors import ConfigError
from multigrade.jobs import exits_cleanly
from multigrade.jobs import CONF_DIR
from multigrade.settings import grade_schedules, grade_specs, uses_paper_settings

EXPERIMENTS = sorted(p.stem for p in (CONF_DIR / "experiment").glob("*.yaml"))
PROFILES = sorted(p.stem for p in (CONF_DIR / "profile").glob("*.yaml"))


def test_the_synthetic_experiments_exist():
    assert {f"p1_synthetic_s{s}" for s in (1, 2, 3, 4)} <= set(EXPERIMENTS)
    assert PROFILES == ["paper", "quick", "smoke"]


@pytest.mark.parametrize("experiment", EXPERIMENTS)
@pytest.mark.parametrize("model", ["mgdl", "sgdl"])
@pytest.mark.parametrize("profile", PROFILES)
def test_every_experiment_composes_and_resolves(experiment, model, profile):
    cfg = job_config(f"experiment={experiment}", f"model={model}", f"profile={profile}")
    assert cfg.name == experiment
    grades = grade_specs(cfg)
    schedules = grade_schedules(cfg, len(grades))
    assert len(schedules) == len(grades) >= 1
    if model == "sgdl":
        assert len(grades) == 1
    if profile == "smoke":
        assert all(s.epochs <= cfg.profile.max_epochs for s in schedules)
    OmegaConf.to_container(cfg.data, resolve=True)


def test_paper_profile_is_the_papers_setting_two():
    cfg = job_config("experiment=p1_synthetic_s2", "model=mgdl", "profile=paper")
    grades, schedules = grade_specs(cfg), grade_schedules(cfg, 4)
    assert [g.widths for g in grades] == [[256, 256]] * 4
    assert {(s.epochs, s.batch_size, s.lr_max, s.lr_min) for s in schedules} == {(30000, 256, 1e-4, 1e-4)}
    sgdl = job_config("experiment=p1_synthetic_s2", "model=sgdl", "profile=paper")
    assert grade_specs(sgdl)[0].widths == [256] * 8
    assert grade_schedules(sgdl, 1)[0].lr_max == 5e-4


def test_setting_four_has_five_grades_and_ten_layers():
    cfg = job_config("experiment=p1_synthetic_s4", "model=mgdl")
    assert len(grade_specs(cfg)) == 5
    cfg = job_config("experiment=p1_synthetic_s4", "model=sgdl")
    assert grade_specs(cfg)[0].widths == [256] * 10


def test_per_grade_and_per_layer_activations_reach_the_grades():
    mgdl = grade_specs(job_config("experiment=p2_sin", "model=mgdl"))
    assert [g.activation for g in mgdl] == ["sin", "relu", "relu"]
    assert [g.widths for g in mgdl] == [[256, 256], [128, 128, 64], [64, 32, 32]]
    sgdl = grade_specs(job_config("experiment=p2_sin", "model=sgdl"))
    assert sgdl[0].activation == ["sin", "sin"] + ["relu"] * 6


def test_train_overrides_replace_the_schedule_values():
    cfg = job_config("experiment=p1_synthetic_s1", "train.lr_max=3e-3", "train.batch_size=null")
    schedule = grade_schedules(cfg, 4)[0]
    assert schedule.lr_max == 3e-3 and schedule.batch_size == 256
    full = job_config("experiment=p1_synthetic_s1", "train.batch_size=full")
    assert grade_schedules(full, 4)[0].batch_size is None
    with pytest.raises(ConfigError, match="batch_size must be a positive integer, full or null.*'half'"):
        grade_schedules(job_config("experiment=p1_synthetic_s1", "train.batch_size=half"), 4)


def test_unknown_key_is_named():
    with pytest.raises(ConfigCompositionException, match="train.learning_rate"):
        job_config("train.learning_rate=1e-3")


def test_unknown_experiment_is_named():
    with pytest.raises(ConfigCompositionException, match="p1_synthetic_s9"):
        job_config("experiment=p1_synthetic_s9")


def test_a_bad_schedule_value_names_the_key():
    cfg = job_config("train.epochs=-3")
    with pytest.raises(ConfigError, match="train.epochs must be a positive integer; got -3"):
        grade_schedules(cfg, 4)
    cfg = job_config("schedules.quick.mgdl.lr_min=-1e-4")  # the value in the schedule itself
    with pytest.raises(ConfigError, match="schedules.quick.mgdl.lr_min must be a positive number; got -0.0001"):
        grade_schedules(cfg, 4)


def test_a_model_whose_network_the_experiment_does_not_set_is_named():
    cfg = job_config("experiment=p2_sin", "model=sgdl", "architecture.sgdl.grades=???")
    with pytest.raises(ConfigError, match=r"experiment 'p2_sin' sets no architecture.sgdl.grades, the network"
                                          r" model=sgdl trains"):
        grade_specs(cfg)


def test_malformed_grades_are_refused():
    cfg = job_config("model.grades=[256,256]")
    with pytest.raises(ConfigError, match=r"model.grades \(architecture.mgdl.grades\) must be a list of hidden-width lists"):
        grade_specs(cfg)


def test_mnist_structures_and_classification_heads_reach_the_grades():
    structure_1 = grade_specs(job_config("experiment=p1_mnist_b1_k5"))
    assert [g.widths for g in structure_1] == [[128, 128]] * 3
    structure_2 = grade_specs(job_config("experiment=p1_mnist_b1_k5", "structure=2"))
    assert [g.widths for g in structure_2] == [[128]] * 6
    with pytest.raises(ConfigError, match="no structure 3 in structures"):
        grade_specs(job_config("experiment=p1_mnist_b1_k5", "structure=3"))
    p2 = grade_specs(job_config("experiment=p2_mnist_noise20"))
    assert [g.output for g in p2] == ["softmax", "linear", "linear", "linear"]
    assert [g.widths for g in p2] == [[64], [128], [256], [128]]
    assert grade_specs(job_config("experiment=p2_mnist_noise20", "model=sgdl"))[0].output == "softmax"


def test_a_per_grade_list_of_the_wrong_length_names_the_key():
    cfg = job_config("experiment=p2_mnist_noise20", "architecture.mgdl.output=[softmax,linear]")
    with pytest.raises(ConfigError, match=r"model.output must be one value for all grades, or one per grade \(grade 3"
                                          r" was asked for\); got \['softmax', 'linear'\]"):
        grade_specs(cfg)


def test_the_profile_sizes_the_images():
    for profile, side in (("smoke", 32), ("quick", 256), ("paper", None)):
        assert job_config("experiment=p1_image_hubble", f"profile={profile}").data.max_side == side


def settings_but_data(experiment: str, model: str, profile: str) -> dict:
    """An experiment's composed config without its name, data, and whether a paper published
    its settings (P1 logs one setting of each family)."""
    cfg = OmegaConf.to_container(job_config(f"experiment={experiment}", f"model={model}", f"profile={profile}"))
    return {k: v for k, v in cfg.items() if k not in ("name", "data", "paper_schedule_published")}


@pytest.mark.parametrize("family", [["p1_synthetic_s1", "p1_synthetic_s2", "p1_synthetic_s3"],
                                    [f"p1_manifold_{kind}_q{q}" for kind in ("increase", "vary") for q in (0, 4)]])
@pytest.mark.parametrize("model", ["mgdl", "sgdl"])
def test_a_p1_family_shares_its_networks_and_schedules(family, model):
    first, *others = [settings_but_data(experiment, model, "paper") for experiment in family]
    assert all(other == first for other in others)


def test_setting_four_differs_from_setting_one_in_its_data_and_depth_only():
    one, four = (settings_but_data(f"p1_synthetic_s{s}", "mgdl", "quick") for s in (1, 4))
    assert one.pop("architecture") != four.pop("architecture")
    assert one == four


@pytest.mark.parametrize("overrides, paper", [
    (("experiment=p2_sin", "profile=quick"), True),  # P2's own settings are the quick profile's
    (("experiment=p2_sin", "profile=quick", "seed=3", "paths.output_dir=/tmp/x", "logger=none",
      "callbacks.progress.refresh_rate=0", "train.epochs=[20,20,40]"), True),  # bookkeeping, the same schedule
    (("experiment=p2_sin", "profile=quick", "model=sgdl"), False),  # P2 publishes no SGDL settings
    (("experiment=p1_synthetic_s2", "profile=paper"), True),
    (("experiment=p1_synthetic_s2", "profile=paper", "model=sgdl"), True),
    (("experiment=p1_synthetic_s2", "profile=quick"), False),  # fewer epochs
    (("experiment=p1_synthetic_s1", "profile=paper"), False),  # P1 logs setting 2's settings only
    (("experiment=helmholtz1d_k10", "profile=paper"), False),  # this project's settings
    (("experiment=p1_manifold_increase_q0", "profile=paper", "train.batch_size=full"), True),  # full is null
    (("experiment=p1_synthetic_s2", "profile=paper", "train.lr_max=[1e-4,1e-4,1e-4,1e-4]"), True),  # per grade
    (("experiment=p2_sin", "profile=quick", "train.lr_max=1e-3"), False),
    (("experiment=p2_sin", "profile=quick", "data.noise_std=0.05"), False),
    (("experiment=p2_sin", "profile=quick", "architecture.mgdl.grades=[[8],[8],[8]]"), False),
    (("experiment=p1_synthetic_s2", "profile=paper", "model.adaptive=true"), False),
    (("experiment=p1_mnist_b1_k5", "profile=paper", "structure=2"), False),
    (("experiment=p1_image_chelsea", "profile=paper"), False),  # P1's rates, but not P1's cat
])
def test_paper_settings_are_the_published_schedule_data_and_network_unchanged(overrides, paper):
    assert uses_paper_settings(job_config(*overrides)) is paper


@pytest.mark.parametrize("target, diagnosis", [
    ("multigrade.data.p2_regression.p2_regresion", "multigrade.data.p2_regression has no 'p2_regresion'"),
    ("my_data.make", "No module named 'my_data'; is its module's folder on PYTHONPATH?"),
])
def test_a_target_that_cannot_be_imported_is_named_with_its_key(target, diagnosis, caplog):
    cfg = OmegaConf.create({"data": {"_target_": target}})
    with pytest.raises(SystemExit), exits_cleanly():
        instantiate(cfg.data)
    assert f"ConfigError: data._target_ '{target}': {diagnosis}" in caplog.text
