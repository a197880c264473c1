"""``make bench`` measures equal work: the framework's grade training and the raw loop
train the same weights on the same minibatches to the same losses."""

import json

import pytest
import torch

from multigrade.bench import build, build_stacked, cases, main, time_framework, time_raw_eager


def test_the_framework_and_the_raw_loop_end_with_the_same_losses():
    case = cases("smoke")[2]  # grade 4 on three frozen grades
    case = type(case)(**{**case.__dict__, "epochs": 40})  # 40 epochs x 3 steps
    _, module = time_framework(case, torch.device("cpu"))
    _, raw_losses = time_raw_eager(case, torch.device("cpu"))
    torch.testing.assert_close(module.loss_history, raw_losses, rtol=1e-6, atol=0)
    assert raw_losses[-1] < 0.95 * raw_losses[0]  # it trains


def test_a_grade_caches_one_copy_of_its_features():
    case = cases("smoke")[2]
    module = build(case, torch.device("cpu"))
    assert module.features.shape == (case.points, 256)
    assert module.features.untyped_storage().nbytes() == case.points * 256 * 4


def test_stacked_seeds_fit_their_own_residuals_of_the_same_data():
    case = cases("smoke")[2]  # three frozen grades: each seed's prior is its own
    stacked = build_stacked(case, torch.device("cpu"), 3)
    for s in range(3):
        alone = build(case, torch.device("cpu"), s)
        assert torch.equal(alone.targets, stacked.targets)
        assert torch.equal(alone.features, stacked.features[s * case.points:(s + 1) * case.points])
        assert torch.equal(alone.prior, stacked.priors[s])
    assert not torch.equal(stacked.priors[0], stacked.priors[1])


def test_bench_writes_every_case_with_its_ratios(tmp_path, capsys):
    assert main(["--size", "smoke", "--repeats", "1", "--seeds", "4", "--out", str(tmp_path)]) is None
    cuda = torch.cuda.is_available()
    rows = json.loads((tmp_path / "bench.json").read_text())
    assert [r["case"] for r in rows] == [c.name for c in cases("smoke")]
    for r in rows:
        assert r["framework_s_per_step"] > 0 and r["raw_eager_s_per_step"] > 0
        assert r["ratio_vs_eager"] == pytest.approx(r["framework_s_per_step"] / r["raw_eager_s_per_step"])
        assert (r["raw_graph_s_per_step"] is not None) == cuda == (r["ratio_vs_graph"] is not None)
        assert (r["framework_peak_device_bytes"] is not None) == cuda
        # on CUDA the framework's captured Adam rounds differently from the eager loop's
        assert r["framework_final_loss"] == pytest.approx(r["raw_eager_final_loss"], rel=1e-4 if cuda else 1e-6)
    assert rows[2]["feature_cache_bytes"] == 600 * 256 * 4
    [seeds] = json.loads((tmp_path / "seeds.json").read_text())
    assert seeds["seeds"] == 4 and seeds["case"] == rows[0]["case"]
    assert seeds["ratio"] == pytest.approx(seeds["stacked_s_per_step"] / seeds["one_seed_s_per_step"])
    out = capsys.readouterr().out
    assert "fw/eager" in out and "stacked ms" in out
    with pytest.raises(SystemExit):
        main(["--size", "smoke", "--only", "no_such_case", "--out", str(tmp_path)])


@pytest.mark.parametrize("arguments, message", [
    (["--repeats", "0"], "--repeats must be 1 or more (timings per path); got 0"),
    (["--seeds", "-2"], "--seeds must be 0 (skip) or a number of seeds to stack; got -2"),
    (["--out", "{file}/inside"], "--out {file}/inside cannot be created (Not a directory)"),
])
def test_bad_bench_arguments_are_named_before_any_timing(tmp_path, capsys, arguments, message):
    file = tmp_path / "file"
    file.write_text("")
    with pytest.raises(SystemExit) as stopped:
        main([argument.format(file=file) for argument in arguments])
    assert stopped.value.code == 2 and message.format(file=file) in capsys.readouterr().err
