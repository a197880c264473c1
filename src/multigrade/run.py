"""Hydra entry point: ``python -m multigrade.run experiment=<name> profile=<smoke|quick|paper>``.

One run fits the grades of the selected model (``model=mgdl`` or ``model=sgdl``) on the
experiment's data (``multigrade.api.MultiGrade``) and writes into ``paths.output_dir``:

* ``metrics.json`` (written last: its presence means the run finished),
* ``spectra.npz`` (see ``SpectraCallback``), ``curves.npz`` (per-grade training losses),
* ``figures/*.png``, ``checkpoints/grade_<k>.pt``, ``logs/metrics.csv``, ``.hydra/``.

With ``seeds=[0,1,2]`` the seeds train side by side as one stacked model (on a GPU in
about the time of one) and each writes the files above (but the logs) into ``seed_<s>/``;
the run's own ``metrics.json`` then holds their mean and standard deviation per grade. A
sweep's jobs that differ only in seed and learning rates train the same way, each into its
own job folder, with ``hydra/launcher=stacked`` (``multigrade.sweeps.side_by_side``).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import hydra
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from multigrade.io import write_json
from multigrade.jobs import CONF_DIR, check_sweep_direction, prepare_run, exits_cleanly
from multigrade.metrics import METRICS
from multigrade.results import fit_and_write, job_value, seed_config, seeds_summary
from multigrade.run_folder import record_run
from multigrade.settings import check_grade_run, grade_fit
from multigrade.tracking import closed_if_failed, finish, log_config

log = logging.getLogger(__name__)


def run(cfg: DictConfig) -> dict[str, Any]:
    """Fit the configured model; write the run folder; return the metrics written. With
    ``seeds`` set, every listed seed is trained side by side in one stacked model and
    gets its own run folder ``seed_<s>/``; the run's ``metrics.json`` holds their means."""
    started = time.perf_counter()
    check_grade_run(cfg)
    out = prepare_run(cfg)
    data = instantiate(cfg.data)
    headline = data.metrics[0]
    check_sweep_direction(f"val_{headline}", METRICS[headline].higher_is_better)
    folders = [out / f"seed_{int(seed)}" for seed in cfg.seeds] if cfg.seeds else [out]
    cfgs = [seed_config(cfg, seed, folder) for seed, folder in zip(cfg.seeds, folders)] if cfg.seeds else [cfg]
    fitting = grade_fit(cfgs, data, folders)  # refuses checkpoints in the folder that are not this run's
    record_run()
    logger = instantiate(cfg.logger, save_dir=str(out)) if cfg.get("logger") else False
    config = OmegaConf.to_container(cfg, resolve=True)
    with closed_if_failed(logger):
        log_config(logger, config)
        log.info("%s (%s, profile %s): %d grade(s)%s -> %s", cfg.name, cfg.model.kind, cfg.profile.name,
                 len(fitting.grades), f", seeds {list(cfg.seeds)} side by side" if cfg.seeds else "", out)
        fitted = fit_and_write(cfgs, data, fitting, folders, logger, started)
        if cfg.seeds:
            for folder, (own, _) in zip(folders, fitted):
                write_json(folder / "metrics.json", own)
            metrics = seeds_summary(fitted, folders, config, started)
        else:
            (metrics, records), = fitted
            if fitting.adaptive is not None:
                metrics["adaptive"] = fitting.adaptive.summary(records)
                log.info("adaptive grading stopped after grade %d (%s): %s", len(records),
                         metrics["adaptive"]["stopped"], metrics["adaptive"]["why"])
        finish(logger, [] if cfg.seeds else sorted((out / "figures").glob("*.png")), metrics["grades"])
    write_json(out / "metrics.json", metrics)
    last = metrics["grades"][-1]
    log.info("done in %.1f s: test %s %.4g (train %.4g, val %.4g)%s -> %s", time.perf_counter() - started,
             headline, last[f"test_{headline}"], last[f"train_{headline}"], last[f"val_{headline}"],
             f", mean of {len(cfg.seeds)} seeds" if cfg.seeds else "", out / "metrics.json")
    return metrics


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="config")
def main(cfg: DictConfig) -> float:
    """Run one job; return the final validation value of the data's headline metric (the
    quantity a sweeper optimises: minimise RSE, maximise PSNR or accuracy)."""
    with exits_cleanly():
        return job_value(run(cfg))


if __name__ == "__main__":
    main()
