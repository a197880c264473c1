"""One summary per multirun folder: each job's overrides and final metrics, and the mean
+- standard deviation over seeds of the jobs that differ only in their seed.

A job is a numbered sub-folder with ``.hydra/overrides.yaml``; it finished when its
``metrics.json`` is there (written last by every run), and failed when, without one, its
``failed.txt`` holds the error it stopped on (``sweeps.callback``). Final metrics: the last grade's
``<split>_<metric>`` of an MGDL/SGDL run, the ``val_*`` / ``test_*`` numbers of a spiking
run, the Gaussian template's success rate at each SNR of an attack (``success_<snr>dB``),
and ``total_seconds``. Writes ``sweep_summary.csv`` (one row per job) and
``sweep_summary.md`` (the jobs, the failed jobs' errors, then the seed statistics, where a
setting run more than once with one seed, as an Optuna study may draw a trial again,
counts once)::

    python -m multigrade.sweeps.summary outputs/multirun/<time>
"""

from __future__ import annotations

import csv
import io
import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml
from omegaconf import OmegaConf

from multigrade.io import atomic_path
from multigrade.overrides import override_key
from multigrade.run_folder import FAILED_FILE

SEED = "seed"


@dataclass
class Job:
    """One job of a sweep: its folder, overrides (key -> value), final metrics (None when
    it did not finish), the error it failed on (None unless it failed) and its seed (as
    its config has it, overridden or not; "" where it has none)."""

    folder: Path
    overrides: dict[str, str]
    metrics: dict[str, float] | None
    error: str | None = None
    seed: str = ""

    @property
    def setting(self) -> tuple[tuple[str, str], ...]:
        """The overrides without the seed: jobs with the same setting differ by seed only."""
        return tuple((k, v) for k, v in self.overrides.items() if override_key(k) != SEED)


def final_metrics(metrics: dict) -> dict[str, float]:
    """The numbers a sweep compares, from one run's ``metrics.json``."""
    if "grades" in metrics:
        last = metrics["grades"][-1]
        names = [f"{split}_{name}" for name in metrics["metrics"] for split in ("train", "val", "test")]
        values = {name: last[name] for name in names if name in last}
    elif "success_vs_snr" in metrics:
        values = {f"success_{snr:g}dB": rate
                  for snr, rate in zip(metrics["snr_db"], metrics["success_vs_snr"]["gaussian"])}
    else:
        values = {k: v for k, v in metrics.items()
                  if k.startswith(("val_", "test_")) and isinstance(v, (int, float))}
    return {**values, "total_seconds": metrics["total_seconds"]}


def config_seed(config: Path) -> str:
    """The top-level ``seed`` of a config Hydra saved ("" where it has none), read from its
    one line: every job rewrites the summary of all jobs, and parsing each whole config
    (about 12 ms) would make a sweep's summaries cost quadratic seconds."""
    for line in config.read_text().splitlines():
        if line.startswith(f"{SEED}:"):  # a top-level key starts its line
            seed = yaml.safe_load(line)[SEED]
            if isinstance(seed, str) and "${" in seed:  # an interpolation: resolved by the whole config
                return str(OmegaConf.load(config).get(SEED, ""))
            return str(seed)
    return ""


def read_job(folder: Path) -> Job:
    overrides = {}
    for item in OmegaConf.load(folder / ".hydra" / "overrides.yaml"):
        key, _, value = str(item).partition("=")
        overrides[key] = value
    config = folder / ".hydra" / "config.yaml"  # the composed config: its seed, overridden or not
    seed = (config_seed(config) if config.is_file()
            else next((v for k, v in overrides.items() if override_key(k) == SEED), ""))
    path, failed = folder / "metrics.json", folder / FAILED_FILE
    if path.is_file():
        return Job(folder, overrides, final_metrics(json.loads(path.read_text())), seed=seed)
    return Job(folder, overrides, None, failed.read_text().strip() if failed.is_file() else None, seed)


def collect(sweep_dir: Path) -> list[Job]:
    """The jobs of a multirun folder, in job-number order."""
    if not Path(sweep_dir).is_dir():
        raise FileNotFoundError(f"{sweep_dir} is not a folder; pass the folder a multirun wrote, e.g."
                                f" outputs/multirun/<time>")
    folders = [p for p in Path(sweep_dir).iterdir() if p.is_dir() and (p / ".hydra" / "overrides.yaml").is_file()]
    if not folders:
        raise FileNotFoundError(f"{sweep_dir} holds no jobs (sub-folders with .hydra/overrides.yaml);"
                                f" pass the folder a multirun wrote, e.g. outputs/multirun/<time>")
    return [read_job(p) for p in sorted(folders, key=lambda p: (len(p.name), p.name))]  # 2 before 10


def _columns(jobs: list[Job]) -> tuple[list[str], list[str]]:
    keys = list(dict.fromkeys(k for job in jobs for k in job.overrides))
    metrics = list(dict.fromkeys(k for job in jobs if job.metrics for k in job.metrics))
    return keys, metrics


def mean_std(values: list[float], digits: str = ".4g", spread: str = ".2g", missing: str = "") -> str:
    """``mean ± sample standard deviation`` of ``values`` in the formats ``digits`` and
    ``spread``; one value alone; ``missing`` for none."""
    if not values:
        return missing
    if len(values) == 1:
        return f"{values[0]:{digits}}"
    return f"{statistics.mean(values):{digits}} ± {statistics.stdev(values):{spread}}"


def _status(job: Job) -> str:
    return "done" if job.metrics else "failed" if job.error else "unfinished"


def summary_csv(jobs: list[Job]) -> str:
    keys, metrics = _columns(jobs)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["job", "status", *keys, *metrics])
    for job in jobs:
        values = [job.metrics.get(m, "") for m in metrics] if job.metrics else [""] * len(metrics)
        writer.writerow([job.folder.name, _status(job),
                         *(job.overrides.get(k, "") for k in keys), *values])
    return out.getvalue()


def summary_markdown(jobs: list[Job]) -> str:
    """The jobs and the seed statistics as Markdown; overrides shared by every job are
    listed once, above the tables."""
    keys, metrics = _columns(jobs)
    common = {k: jobs[0].overrides[k] for k in keys
              if all(k in job.overrides and job.overrides[k] == jobs[0].overrides[k] for job in jobs)}
    keys = [k for k in keys if k not in common]
    shared = ", ".join(f"`{k}={v}`" for k, v in common.items()) or "none"
    failed = [job for job in jobs if job.error]
    lines = [f"# Sweep summary: {jobs[0].folder.parent}", "",
             (f"{sum(j.metrics is not None for j in jobs)} of {len(jobs)} jobs finished"
              f"{f', {len(failed)} failed' if failed else ''}. Overrides of every job: {shared}."),
             "", "## Jobs", "",
             "| " + " | ".join(["job", "status", *keys, *metrics]) + " |", "|---" * (2 + len(keys) + len(metrics)) + "|"]
    for job in jobs:
        values = [f"{job.metrics[m]:.4g}" if job.metrics and m in job.metrics else "" for m in metrics]
        lines.append("| " + " | ".join([job.folder.name, _status(job), *(job.overrides.get(k, "") for k in keys),
                                         *values]) + " |")
    settings: dict[tuple, list[Job]] = {}
    for job in jobs:
        settings.setdefault(job.setting, []).append(job)
    if failed:
        lines += ["", "## Failed", "", *(f"- job {job.folder.name}: {job.error}" for job in failed)]
    setting_keys = [k for k in keys if override_key(k) != SEED]
    lines += ["", "## Over seeds (mean ± std)", "",
              "| " + " | ".join([*setting_keys, "seeds", *metrics]) + " |",
              "|---" * (len(setting_keys) + 1 + len(metrics)) + "|"]
    for setting, group in settings.items():
        runs: dict[str, Job] = {}  # one job per seed, a finished one where there is one
        for job in group:
            if job.seed not in runs or (runs[job.seed].metrics is None and job.metrics):
                runs[job.seed] = job
        done = [j.metrics for j in runs.values() if j.metrics]
        cells = [mean_std([m[name] for m in done if name in m]) if any(name in m for m in done) else ""
                 for name in metrics]
        values = dict(setting)
        lines.append("| " + " | ".join([*(values.get(k, "") for k in setting_keys), f"{len(done)}/{len(runs)}",
                                         *cells]) + " |")
    return "\n".join(lines) + "\n"


def write_summary(sweep_dir: str | Path) -> tuple[Path, Path]:
    """Write ``sweep_summary.csv`` and ``sweep_summary.md`` into ``sweep_dir``; return them."""
    sweep_dir = Path(sweep_dir)
    jobs = collect(sweep_dir)
    paths = sweep_dir / "sweep_summary.csv", sweep_dir / "sweep_summary.md"
    for path, text in zip(paths, (summary_csv(jobs), summary_markdown(jobs))):
        with atomic_path(path) as tmp:
            tmp.write_text(text)
    return paths


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m multigrade.sweeps.summary <multirun folder>")
    try:
        written = write_summary(sys.argv[1])
    except FileNotFoundError as error:
        sys.exit(str(error))
    print(*written, sep="\n")
