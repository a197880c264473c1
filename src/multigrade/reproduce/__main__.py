"""``python -m multigrade.reproduce --profile quick [--only p1_synthetic_s2]``.

Runs every planned experiment (MGDL and SGDL as ``python -m multigrade.run``, the spiking
runs as ``python -m multigrade.snn``, the side-channel attacks as ``python -m
multigrade.scann``), each in its own process, into
``<out>/runs/<experiment>/<model>[_<variant>]``, reuses runs that an earlier invocation
with the same profile and overrides finished, resumes its unfinished MGDL runs after their
last completed grade (an unfinished spiking or attack run starts again, but a Loihi run
whose deployment failed deploys the student it saved without training again), starts afresh the
runs an earlier invocation made with another profile or other overrides, and writes
``<out>/REPORT.md`` of these runs and of the other experiments' runs that earlier
invocations with the profile finished there (each run's extra overrides named). A failed run is reported with its log
and makes the command exit non-zero; the others still run.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.errors import HydraException

from multigrade.errors import LoihiEnvironmentError
from multigrade.jobs import CONF_DIR
from multigrade.loihi.deploy import loihi_python
from multigrade.metrics import METRICS
from multigrade.overrides import canonical_overrides, override_value
from multigrade.reproduce.plan import NEEDS_LOIHI, PLAN, PlannedRun, left_out, select
from multigrade.reproduce.outcomes import RunOutcome, load_metrics
from multigrade.reproduce.report import write_report
from multigrade.reproduce.reuse import claim_folder, invocation, recorded_invocation
from multigrade.run_folder import ENTRY_POINTS

PROFILES = ("smoke", "quick", "paper")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m multigrade.reproduce", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="quick", choices=PROFILES)
    parser.add_argument("--only", default=None,
                        help="comma-separated experiment prefixes or names, e.g. p1_synthetic_s2,p2")
    parser.add_argument("--out", type=Path, default=Path("outputs/reproduce"))
    parser.add_argument("--force", action="store_true", help="rerun finished runs too")
    parser.add_argument("overrides", nargs="*", help="extra Hydra overrides for every run")
    return parser.parse_args(argv)


PROGRESS = re.compile(r"\] - (grade \d+/\d+ .*)$")


def run_one(planned: PlannedRun, profile: str, folder: Path, log: Path, overrides: list[str]) -> int:
    """One run in its own process: all output to ``log``, its progress lines echoed."""
    quiet = (["trainer.enable_progress_bar=false"] if planned.spiking
             else [] if planned.side_channel else ["callbacks.progress.refresh_rate=0"])
    command = [sys.executable, *planned.arguments, f"profile={profile}", f"paths.output_dir={folder}",
               *quiet, *overrides]
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as handle:
        handle.write(" ".join(command) + "\n")
        handle.flush()
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in child.stdout:
            handle.write(line)
            match = PROGRESS.search(line.rstrip())
            if match:
                print(f"    {match.group(1)}", flush=True)
        return child.wait()


def outcome_line(metrics: dict) -> str:
    """``test RSE 0.07 after 4 grade(s)``; for a spiking run ``test accuracy 0.97``; for an
    attack ``success 0.95 at 30 dB (chance 0.125)``."""
    if "success_vs_snr" in metrics:
        return (f"success {metrics['success_vs_snr']['gaussian'][-1]:.3g} at {metrics['snr_db'][-1]:g} dB"
                f" (chance {metrics['chance']:.3g})")
    if "grades" not in metrics:
        return f"test accuracy {metrics['test_accuracy']:.4g}"
    headline = metrics["metrics"][0]
    value = metrics["grades"][-1][f"test_{headline}"]
    return f"test {METRICS[headline].label} {value:.4g} after {len(metrics['grades'])} grade(s)"


def without_loihi(runs: list[PlannedRun], overrides: list[str]) -> tuple[list[PlannedRun], dict[str, str]]:
    """The runs this machine can do, and the experiments left out for want of the Loihi
    environment (the one ``target.python`` in ``overrides`` names, else the default), with
    the reason; the environment is looked at only where a run needs it."""
    if not any(run.experiment in NEEDS_LOIHI for run in runs):
        return runs, {}
    try:
        loihi_python(override_value(overrides, "target.python"))
        return runs, {}
    except LoihiEnvironmentError as error:
        missing = {run.experiment: str(error) for run in runs if run.experiment in NEEDS_LOIHI}
        return [run for run in runs if run.experiment not in missing], missing


# The primary config of each entry point a planned run starts.
CONFIG_NAMES = {module: name for name, module in ENTRY_POINTS.items()}


def check_overrides(runs: list[PlannedRun], profile: str, overrides: list[str]) -> None:
    """Compose every selected run's config with the extra ``overrides`` (``ARGS``) before any
    run starts: one that Hydra refuses for a run (a misspelt key, a key the run does not
    have) stops the command, naming the run, with Hydra's message."""
    if not overrides:
        return
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        for planned in runs:
            module, *arguments = planned.arguments[1:]
            try:
                compose(config_name=CONFIG_NAMES[module], overrides=[*arguments, f"profile={profile}", *overrides])
            except HydraException as error:
                message = " ".join(str(error).split())
                raise SystemExit(f"ARGS={' '.join(overrides)!r} does not apply to {planned.key}: {message}; select"
                                 f" runs that have the keys (ONLY=...)") from None


def earlier_outcomes(out: Path, profile: str, selected: list[PlannedRun]) -> tuple[list[RunOutcome], dict[str, str]]:
    """The runs of planned experiments not ``selected`` now that earlier invocations with
    ``profile`` left in ``out`` (finished, or failed: no metrics), with their extra
    overrides: the report keeps them, so running one more experiment does not cut the
    report down to it. An experiment whose runs were made with different overrides is
    left out, named with the reason."""
    chosen = {run.key for run in selected}
    by_experiment: dict[str, list[RunOutcome]] = {}
    for planned in PLAN:
        folder = out / "runs" / planned.experiment / planned.name
        recorded = recorded_invocation(folder) if planned.key not in chosen else None
        if recorded is None or recorded["profile"] != profile or recorded["arguments"] != planned.arguments:
            continue
        log = out / "logs" / f"{planned.experiment}_{planned.name}.log"
        by_experiment.setdefault(planned.experiment, []).append(
            RunOutcome(planned, folder, load_metrics(folder), log, reused=True, overrides=tuple(recorded["overrides"])))
    found, mixed = [], {}
    for experiment, outcomes in by_experiment.items():
        if len({canonical_overrides(o.overrides) for o in outcomes}) > 1:
            mixed[experiment] = (f"not shown: earlier commands made its runs with different extra overrides; run it"
                                 f" again with ONLY={experiment}")
        else:
            found += outcomes
    return found, mixed


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    runs, unavailable = without_loihi(select(args.only), args.overrides)
    check_overrides(runs, args.profile, args.overrides)
    for experiment, reason in unavailable.items():
        print(f"left out {experiment}: {reason}", flush=True)
    outcomes: list[RunOutcome] = []
    for index, planned in enumerate(runs, start=1):
        folder = args.out / "runs" / planned.experiment / planned.name
        log = args.out / "logs" / f"{planned.experiment}_{planned.name}.log"
        kept = claim_folder(folder, invocation(planned, args.profile, args.overrides), args.force)
        metrics = load_metrics(folder) if kept else None
        if metrics is not None:
            print(f"[{index}/{len(runs)}] {planned.key}: finished earlier, reused", flush=True)
            outcomes.append(RunOutcome(planned, folder, metrics, log, reused=True, overrides=tuple(args.overrides)))
            continue
        # A kept unfinished run resumes after its last completed grade.
        print(f"[{index}/{len(runs)}] {planned.key} ({args.profile}) ...", flush=True)
        begun = time.perf_counter()
        code = run_one(planned, args.profile, folder, log, args.overrides)
        metrics = load_metrics(folder) if code == 0 else None
        if metrics is None:
            print(f"    failed (exit code {code}); see {log}", flush=True)
        else:
            print(f"    done in {time.perf_counter() - begun:.0f} s: {outcome_line(metrics)}", flush=True)
        outcomes.append(RunOutcome(planned, folder, metrics, log, overrides=tuple(args.overrides)))
    failed = [o.run.key for o in outcomes if o.metrics is None]
    earlier, skipped = earlier_outcomes(args.out, args.profile, runs)
    order = {run.key: index for index, run in enumerate(PLAN)}
    outcomes = sorted(outcomes + earlier, key=lambda o: order[o.run.key])
    shown = {o.run.experiment for o in earlier}
    for experiment, reason in unavailable.items():
        skipped[experiment] = f"not run this time: {reason}" + (
            "; the results below are those an earlier command left" if experiment in shown else "")
    report = write_report(args.out, args.profile, outcomes, time.perf_counter() - started,
                          left_out({o.run.experiment for o in outcomes} | set(skipped)), skipped)
    print(f"report: {report}")
    if failed:
        print(f"{len(failed)} run(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
