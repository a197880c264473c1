"""``make bench``: seconds per optimizer step of grade training, measured side by side.

For each case the same grade (frozen predecessors, cached features ``Z`` (N, d), residual
``E`` (N, m), loss ``1/(2B) sum ||E_i - A(H(Z_i))||^2``, Adam, per-epoch LR decay) is
trained three ways, from the same initial weights, on the same minibatches, with the same
Adam (fused on CUDA, ``grades.graphed.adam_fused``):

* ``framework``: ``GradeModule`` under a Lightning ``Trainer``, as ``multigrade.run`` does
  (on CUDA its steps replayed from CUDA graphs, see ``grades.graphed``);
* ``raw_eager``: a plain PyTorch loop over the same minibatches;
* ``raw_graph`` (CUDA only): the same step captured once as a CUDA graph and replayed on
  static minibatch buffers (full minibatches only: the floor of a step's cost).

Seconds per step = the wall time of the training epochs / optimizer steps, after one warm-up
epoch; each path is timed ``repeats`` times, alternating, and the fastest time is kept (the
least disturbed by the rest of the machine). Prints a table with the ratios framework / raw
and writes ``<out>/bench.json``: a list of ``{"case", "device", "framework_s_per_step",
"raw_eager_s_per_step", "raw_graph_s_per_step", "ratio_vs_eager", "ratio_vs_graph", "steps",
"feature_cache_bytes", "framework_peak_device_bytes", "framework_final_loss",
"raw_eager_final_loss"}`` (null where not measured).

Many seeds at once: the first case's grade for ``--seeds`` seeds trained as one stacked
model (``grades.stacked``) against one seed alone, both through the framework; printed and
written to ``<out>/seeds.json`` as ``{"case", "device", "seeds", "one_seed_s_per_step",
"stacked_s_per_step", "ratio", "speedup_vs_one_by_one"}``::

    python -m multigrade.bench [--size smoke|cpu|paper] [--out outputs/bench] [--seeds 16]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import lightning.pytorch as L
import torch

from multigrade.cuda_check import skip_missing_nvml
from multigrade.errors import ConfigError
from multigrade.grades.graphed import adam_fused
from multigrade.grades.loop import cache_bytes
from multigrade.grades.module import GradeModule, GradeTraining
from multigrade.grades.schedule import GradeSchedule
from multigrade.grades.stacked import StackedGradeModule
from multigrade.grades.stair import StairNetwork, freeze
from multigrade.io import atomic_path
from multigrade.jobs import quiet_lightning
from multigrade.run_folder import check_creatable
from multigrade.seeding import INIT, derive_seed

CHECK_EVERY = 10  # the runs' default callbacks.log_every_epochs


@dataclass(frozen=True)
class Case:
    """A grade to time: ``frozen`` grades' hidden widths before it, its own ``widths``."""

    name: str
    points: int
    in_features: int
    out_features: int
    frozen: tuple[tuple[int, ...], ...]
    widths: tuple[int, ...]
    batch_size: int | None
    epochs: int


def cases(size: str) -> list[Case]:
    """The benchmark's cases; ``size`` scales points and epochs (``paper``: the papers'
    data sizes, ``cpu``: minutes on 2 cores, ``smoke``: seconds)."""
    points, image_side, epochs = {"smoke": (600, 32, 3), "cpu": (6000, 256, 20), "paper": (6000, 512, 200)}[size]
    full_epochs = {"smoke": 3, "cpu": 20, "paper": 500}[size]
    return [
        Case("grade_b256", points, 1, 1, (), (256, 256), 256, epochs),
        Case("sgdl_8x256_b256", points, 1, 1, (), (256,) * 8, 256, epochs),
        Case("grade4_cached_b256", points, 1, 1, ((256, 256),) * 3, (256, 256), 256, epochs),
        Case("image_grade_full_batch", (image_side // 2) ** 2, 2, 3, (), (256, 256, 256), None, full_epochs),
    ]


def build(case: Case, device: torch.device, seed: int = 0) -> GradeModule:
    """The case's grade as ``multigrade.run`` builds it with ``seed``, on random data that
    is the same for every seed (as a run's data is)."""
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(case.points, case.in_features, generator=generator)
    y = torch.sin(2 * math.pi * 2 * x.sum(dim=1, keepdim=True)).expand(-1, case.out_features).contiguous()
    stair = StairNetwork(case.in_features, case.out_features)
    for k, widths in enumerate(case.frozen, start=1):
        torch.manual_seed(derive_seed(INIT, seed, k))
        for module in stair.grow(list(widths), "relu", "linear"):
            freeze(module)
    stair.to(device)
    x, y = x.to(device), y.to(device)
    with torch.no_grad():
        prior = stair(x) if case.frozen else torch.zeros_like(y)
        features = stair.backbone()(x)
    torch.manual_seed(derive_seed(INIT, seed, len(case.frozen) + 1))
    stack, head = stair.new_grade(list(case.widths), "relu", "linear")
    schedule = GradeSchedule(case.epochs + 1, case.batch_size, 1e-3, 1e-4)
    module = GradeModule(stack, head, features, y - prior, y, prior, schedule, len(case.frozen) + 1, seed,
                         check_every=CHECK_EVERY)
    return module.to(device)  # its minibatch orders are drawn on the device, as in training


def build_stacked(case: Case, device: torch.device, seeds: int) -> StackedGradeModule:
    """The case's grade for seeds 0..seeds-1 (each as ``build`` makes it), stacked."""
    grades = [build(case, device, seed) for seed in range(seeds)]
    first = grades[0]
    return StackedGradeModule([g.stack for g in grades], [g.head for g in grades],
                              torch.cat([g.features for g in grades]), torch.cat([g.residual for g in grades]),
                              first.targets, torch.stack([g.prior for g in grades]), [first.schedule] * seeds,
                              first.grade, list(range(seeds)), check_every=CHECK_EVERY)


def steps_per_epoch(case: Case) -> int:
    return 1 if case.batch_size is None else math.ceil(case.points / case.batch_size)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class EpochTimer(L.Callback):
    """Wall time of the grade's epochs after the first (each a Lightning batch), waiting
    for the device after the first and the last only, as a run does."""

    def __init__(self):
        self.started = self.ended = 0.0

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        if batch_idx == 0:
            sync(module.device)
            self.started = time.perf_counter()
        elif batch_idx == module.schedule.epochs - 1:
            sync(module.device)
            self.ended = time.perf_counter()


def time_framework(case: Case, device: torch.device, seeds: int | None = None) -> tuple[float, GradeTraining]:
    """Seconds per step of the framework's path: one grade, or ``seeds`` grades stacked."""
    module = build(case, device) if seeds is None else build_stacked(case, device, seeds)
    timer = EpochTimer()
    trainer = L.Trainer(accelerator=device.type, devices=1, max_epochs=1, logger=False, callbacks=[timer],
                        enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False,
                        deterministic=True, log_every_n_steps=1)
    trainer.fit(module)
    return (timer.ended - timer.started) / (case.epochs * steps_per_epoch(case)), module


def time_raw_eager(case: Case, device: torch.device) -> tuple[float, torch.Tensor]:
    """The same grade, minibatches and updates as a plain loop; returns the seconds per
    step and the loss of every epoch (epochs + 1,)."""
    module = build(case, device)
    features, residual = module.features, module.residual
    params = list(module.stack.parameters()) + list(module.head.parameters())
    optimizer = torch.optim.Adam(params, lr=module.schedule.lr_max, fused=adam_fused(device))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, module.schedule.lr_factor)
    losses = torch.zeros(case.epochs + 1, device=device)
    started = 0.0
    for epoch in range(case.epochs + 1):
        total = torch.zeros((), device=device)
        for index in module.minibatches(epoch):
            batch = residual[index]
            loss = module.loss(features[index], batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.detach() * batch.shape[0]
        losses[epoch] = total / case.points
        scheduler.step()
        if epoch == 0:
            sync(device)
            started = time.perf_counter()
    sync(device)
    return (time.perf_counter() - started) / (case.epochs * steps_per_epoch(case)), losses.cpu()


def time_raw_graph(case: Case, device: torch.device) -> float | None:
    """Seconds per step of the grade's step captured as one CUDA graph (None off CUDA)."""
    if device.type != "cuda":
        return None
    module = build(case, device)
    features, residual = module.features, module.residual
    size = case.batch_size or case.points
    static_z, static_e = features[:size].clone(), residual[:size].clone()
    params = list(module.stack.parameters()) + list(module.head.parameters())
    optimizer = torch.optim.Adam(params, lr=torch.tensor(module.schedule.lr_max, device=device), capturable=True,
                                 fused=adam_fused(device))

    def step() -> None:
        module.loss(static_z, static_e).backward()
        optimizer.step()

    side = torch.cuda.Stream(device)
    side.wait_stream(torch.cuda.current_stream(device))
    with torch.cuda.stream(side):
        for _ in range(3):
            optimizer.zero_grad(set_to_none=True)
            step()
    torch.cuda.current_stream(device).wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    optimizer.zero_grad(set_to_none=True)
    with torch.cuda.graph(graph):
        step()
    full = [index for index in module.minibatches(0) if isinstance(index, slice) or len(index) == size]
    sync(device)
    started = time.perf_counter()
    for epoch in range(case.epochs):
        for index in full:
            static_z.copy_(features[index])
            static_e.copy_(residual[index])
            graph.replay()
    sync(device)
    return (time.perf_counter() - started) / (case.epochs * len(full))


def measure(case: Case, device: torch.device, repeats: int = 3) -> dict:
    times: dict[str, list[float]] = {"framework": [], "eager": [], "graph": []}
    peak = None
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        seconds, module = time_framework(case, device)
        if device.type == "cuda":
            peak = torch.cuda.max_memory_allocated(device)
        times["framework"].append(seconds)
        seconds, eager_losses = time_raw_eager(case, device)
        times["eager"].append(seconds)
        seconds = time_raw_graph(case, device)
        if seconds is not None:
            times["graph"].append(seconds)
    framework, eager = min(times["framework"]), min(times["eager"])
    graph = min(times["graph"]) if times["graph"] else None
    return {
        "case": case.name,
        "device": device_name(device),
        "framework_s_per_step": framework,
        "raw_eager_s_per_step": eager,
        "raw_graph_s_per_step": graph,
        "ratio_vs_eager": framework / eager,
        "ratio_vs_graph": None if graph is None else framework / graph,
        "steps": case.epochs * steps_per_epoch(case),
        "feature_cache_bytes": cache_bytes(module.features),
        "framework_peak_device_bytes": peak,
        "framework_final_loss": float(module.loss_history[-1]),
        "raw_eager_final_loss": float(eager_losses[-1]),
    }


def measure_seeds(case: Case, device: torch.device, seeds: int, repeats: int = 3) -> dict:
    """One seed's grade against ``seeds`` of them stacked, both through the framework."""
    one, stacked = [], []
    for _ in range(repeats):
        one.append(time_framework(case, device)[0])
        stacked.append(time_framework(case, device, seeds)[0])
    return {"case": case.name, "device": device_name(device), "seeds": seeds,
            "one_seed_s_per_step": min(one), "stacked_s_per_step": min(stacked),
            "ratio": min(stacked) / min(one), "speedup_vs_one_by_one": seeds * min(one) / min(stacked)}


def seeds_table(rows: list[dict]) -> str:
    lines = [f"{'case':<24} {'device':<10} {'seeds':>5} {'1 seed ms':>9} {'stacked ms':>10} {'ratio':>6} "
             f"{'speedup':>7}"]
    for r in rows:
        lines.append(f"{r['case']:<24} {r['device'][:10]:<10} {r['seeds']:>5} {1e3 * r['one_seed_s_per_step']:>9.3f}"
                     f" {1e3 * r['stacked_s_per_step']:>10.3f} {r['ratio']:>6.2f} {r['speedup_vs_one_by_one']:>7.1f}")
    return "\n".join(lines)


def device_name(device: torch.device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"


def table(rows: list[dict]) -> str:
    def ms(value: float | None) -> str:
        return "—" if value is None else f"{1e3 * value:.3f}"

    def ratio(value: float | None) -> str:
        return "—" if value is None else f"{value:.2f}"

    lines = [f"{'case':<24} {'device':<10} {'framework ms':>12} {'eager ms':>9} {'graph ms':>9} "
             f"{'fw/eager':>8} {'fw/graph':>8} {'cache MB':>8}"]
    for r in rows:
        lines.append(f"{r['case']:<24} {r['device'][:10]:<10} {ms(r['framework_s_per_step']):>12} "
                     f"{ms(r['raw_eager_s_per_step']):>9} {ms(r['raw_graph_s_per_step']):>9} "
                     f"{ratio(r['ratio_vs_eager']):>8} {ratio(r['ratio_vs_graph']):>8} "
                     f"{r['feature_cache_bytes'] / 2**20:>8.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=("smoke", "cpu", "paper"), default=None,
                        help="points and epochs (default: paper on CUDA, cpu otherwise)")
    parser.add_argument("--out", default="outputs/bench", help="folder of bench.json")
    parser.add_argument("--only", default=None, help="comma-separated case names")
    parser.add_argument("--repeats", type=int, default=3, help="timings per path; the fastest is kept")
    parser.add_argument("--seeds", type=int, default=16,
                        help="also time this many seeds of the first case stacked against one (0: skip)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be 1 or more (timings per path); got {args.repeats}")
    if args.seeds < 0:
        parser.error(f"--seeds must be 0 (skip) or a number of seeds to stack; got {args.seeds}")
    try:
        check_creatable(Path(args.out), "--out")
    except ConfigError as error:
        parser.error(str(error))
    quiet_lightning()
    skip_missing_nvml()
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # the framework's trainer is deterministic
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    chosen = cases(args.size or ("paper" if device.type == "cuda" else "cpu"))
    if args.only:
        names = set(args.only.split(","))
        unknown = names - {c.name for c in chosen}
        if unknown:
            parser.error(f"unknown case(s) {sorted(unknown)}: choose from {[c.name for c in chosen]}")
        chosen = [c for c in chosen if c.name in names]
    rows = [measure(case, device, args.repeats) for case in chosen]
    print(table(rows))
    write_rows(Path(args.out) / "bench.json", rows)
    if args.seeds > 0:
        seeds = [measure_seeds(chosen[0], device, args.seeds, args.repeats)]
        print(seeds_table(seeds))
        write_rows(Path(args.out) / "seeds.json", seeds)


def write_rows(path: Path, rows: list[dict]) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"-> {path}")


if __name__ == "__main__":
    main()
