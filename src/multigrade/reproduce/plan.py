"""Which runs make up the reproduction, and how to select a subset of them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlannedRun:
    """One run: an experiment config, a model (``mgdl`` or ``sgdl``; ``snn`` for the
    spiking runs, ``scann`` for the side-channel attacks) and, for a variant (e.g. P1
    §3.4's MGDL structure 2, a distillation path and seed), its name and Hydra overrides."""

    experiment: str
    model: str
    title: str
    variant: str = ""
    overrides: tuple[str, ...] = ()

    @property
    def spiking(self) -> bool:
        return self.model == "snn"

    @property
    def side_channel(self) -> bool:
        return self.model == "scann"

    @property
    def arguments(self) -> list[str]:
        """``python -m <module> <arguments>`` of the run (without profile and folder)."""
        if self.spiking:
            return ["-m", "multigrade.snn", f"spiking={self.experiment}", *self.overrides]
        if self.side_channel:
            return ["-m", "multigrade.scann", f"attack={self.experiment}", *self.overrides]
        return ["-m", "multigrade.run", f"experiment={self.experiment}", f"model={self.model}", *self.overrides]

    @property
    def name(self) -> str:
        """``mgdl``, ``sgdl`` or ``<model>_<variant>``: the run's folder and label."""
        return f"{self.model}_{self.variant}" if self.variant else self.model

    @property
    def label(self) -> str:
        return self.model.upper() + (f" ({self.variant.replace('_', ' ')})" if self.variant else "")

    @property
    def key(self) -> str:
        return f"{self.experiment}/{self.name}"


def _decimal(b: float) -> str:
    """0.5 -> "0p5", 1.0 -> "1" (experiment names carry no dots)."""
    return f"{b:g}".replace(".", "p")


WAVENUMBERS = (10, 50, 100, 200, 500)  # P3's sweep over kappa

EXPERIMENTS: dict[str, str] = {
    "p1_synthetic_s1": "P1 §3.1 synthetic, setting 1 (constant amplitudes)",
    "p1_synthetic_s2": "P1 §3.1 synthetic, setting 2 (decreasing amplitudes)",
    "p1_synthetic_s3": "P1 §3.1 synthetic, setting 3 (varying amplitudes)",
    "p1_synthetic_s4": "P1 §3.1 synthetic, setting 4 (increasing amplitudes)",
    **{
        f"p1_manifold_{kind}_q{q}": f'P1 §3.2 manifold, target "{kind}", curve q = {q}'
        for kind in ("increase", "vary")
        for q in (0, 4)
    },
    "p1_image_chelsea": "P1 §3.3 colour image: chelsea (a cat; scikit-image), centred 300 x 300",
    "p1_image_astronaut": "P1 §3.3 colour image: astronaut (scikit-image), 512 x 512",
    "p1_image_hubble": "P1 §3.3 colour image, the large one: hubble_deep_field (scikit-image), 872 x 1000",
    **{
        f"p1_mnist_b{_decimal(b)}_k{k}": f"P1 §3.4 MNIST with label noise 1 + {b:g} sin(2 pi {k} ||x||)"
        for b in (0.5, 1.0, 3.0)
        for k in (1, 5, 10, 50)
    },
    **{
        f"p2_{name}{suffix}": f"P2 regression, {formula}{', noisy' if suffix else ''}"
        for name, formula in (("sin", "sin(100x)"), ("xsin", "x sin(100x)"), ("composite", "(x+1) f(x)"))
        for suffix in ("", "_noisy")
    },
    **{
        f"p2_{dataset}_noise{rate}": f"P2 classification, {label} with symmetric label noise 0.{rate}"
        for dataset, label in (("mnist", "MNIST"), ("fashion_mnist", "Fashion-MNIST"))
        for rate in (20, 40)
    },
    **{f"p3_fredholm_k{kappa}": f"P3 oscillatory Fredholm equation, kappa = {kappa}" for kappa in WAVENUMBERS},
    **{f"helmholtz1d_k{k}": f"1D Helmholtz equation by finite differences, k = {k}" for k in (10, 50, 100)},
    **{f"helmholtz2d_k{k}": f"2D Helmholtz equation on the unit square by finite differences, k = {k}"
       for k in (10, 20)},
    **{f"helmholtz2d_fdmgdl_k{k}": f"FD-MGDL's 2D Helmholtz problem, sin(k x/√2) sin(k y/√2), k = {k}"
       for k in (10, 50)},
}

# Runs of every experiment whose name starts with the prefix, besides MGDL and SGDL.
VARIANTS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "p1_mnist": [("mgdl", "structure_2", ("structure=2",))],
    # adaptive grading: grades of [256, 256] added until val RSE <= 1e-3, a grade gains
    # under 5 %, or 8 grades
    "p1_synthetic_s2": [("mgdl", "adaptive", ("model.adaptive=true", "model.adaptive_grading.target=1e-3"))],
}

# Experiments left out of a plain `make reproduce` (they run when ONLY names them), and
# why; the experiments in DEFAULT_EXCEPTIONS run by default all the same.
NOT_BY_DEFAULT: dict[str, str] = {
    "p1_manifold": (
        "P1 §3.2 runs its other three settings only with ONLY=p1_manifold (about 13 minutes"
        " each on a CPU); the default runs target \"increase\" on the circle (q = 0), the"
        " setting P1 logs"
    ),
    "p1_mnist": (
        "P1 §3.4 runs its other eleven (b, k) pairs only with ONLY=p1_mnist (three runs of two"
        " to four minutes each per pair on a CPU, about 95 minutes for all twelve); the default"
        " runs b = 1, k = 5, the pair P1 logs"
    ),
    "helmholtz2d": (
        "The 2D Helmholtz equation (10,201 grid nodes at k = 10, 40,401 at k = 20; at k = 10 MGDL"
        " takes about 9 minutes on a CPU, SGDL longer) and FD-MGDL's 2D problem (90,601 nodes at"
        " k = 50, for a GPU) run only with ONLY=helmholtz2d"
    ),
    "p3_fredholm_k500": (
        "P3 at kappa = 500 (4,000 nodes: a dense 4,000 x 4,000 complex operator; MGDL about"
        " 6 minutes, SGDL about 20 on a CPU) runs only with ONLY=p3_fredholm"
    ),
}
DEFAULT_EXCEPTIONS = ("p1_manifold_increase_q0", "p1_mnist_b1_k5")


def runs_of(experiment: str, title: str) -> list[PlannedRun]:
    runs = [PlannedRun(experiment, "mgdl", title)]
    for prefix, variants in VARIANTS.items():
        if experiment.startswith(prefix):
            runs += [PlannedRun(experiment, model, title, variant, overrides)
                     for model, variant, overrides in variants]
    return runs + [PlannedRun(experiment, "sgdl", title)]


SEEDS = (0, 1, 2)
ABLATION = ("alone", "output", "intermediate", "snn_to_dnn")
SPIKING: list[PlannedRun] = [
    *(PlannedRun("yin_binary_mnist", "snn", "Yin et al.'s binary-activation SNN on MNIST", mode,
                 (f"student.mode={mode}", f"method.train_steps={steps}"))
      for mode, steps in (("discontinuous", 1), ("continuous", 4))),
    *(PlannedRun("distill_mnist", "snn", "DNN -> SNN distillation on MNIST: the ablation of the paths",
                 f"{kd}_seed{seed}", (f"kd={kd}", f"seed={seed}"))
      for kd in ABLATION for seed in SEEDS),
    *(PlannedRun("distill_mnist_conv", "snn", "DNN -> SNN distillation on MNIST with convolutional networks",
                 f"{kd}_seed0", (f"kd={kd}", "seed=0"))
      for kd in ("alone", "snn_to_dnn")),
    PlannedRun("distill_mnist_loihi", "snn", "A distilled Loihi 2 student on lava's Loihi 2 simulation",
               "snn_to_dnn_seed0", ("kd=snn_to_dnn", "seed=0")),
]

SECRET_TITLES = {"weight": "a synaptic weight", "neurons": "the neurons per layer",
                 "threshold": "the membrane threshold", "capacitors": "the capacitor sizes"}
SIDE_CHANNEL: list[PlannedRun] = [
    PlannedRun(f"scann_{secret}_{channel}", "scann", f"SCANN template attack on {title} through {channel}")
    for secret, title in SECRET_TITLES.items() for channel in ("power", "timing")
]

# Experiments that need the Loihi environment (make loihi-env); without it they are left out.
NEEDS_LOIHI = ("distill_mnist_loihi",)

PLAN: list[PlannedRun] = [
    *(run for experiment, title in EXPERIMENTS.items() for run in runs_of(experiment, title)),
    *SPIKING,
    *SIDE_CHANNEL,
]


NAMES = {run.experiment for run in PLAN}


def by_default(experiment: str) -> bool:
    return experiment in DEFAULT_EXCEPTIONS or not experiment.startswith(tuple(NOT_BY_DEFAULT))


def left_out(shown: set[str]) -> dict[str, str]:
    """The prefixes of ``NOT_BY_DEFAULT`` some of whose experiments a report showing (or
    naming as not shown) the experiments ``shown`` lacks, with the reasons; none unless
    ``shown`` holds every experiment run by default (those needing the Loihi environment
    aside), since only then is the report a plain run's, whose gaps want explaining."""
    defaults = {run.experiment for run in PLAN if by_default(run.experiment)} - set(NEEDS_LOIHI)
    if not defaults <= shown:
        return {}
    return {prefix: reason for prefix, reason in NOT_BY_DEFAULT.items()
            if any(name.startswith(prefix) and name not in shown for name in NAMES)}


def select(only: str | None) -> list[PlannedRun]:
    """The planned runs whose experiment is named by, or else starts with, one of the
    comma-separated prefixes; without prefixes, every run of the experiments run
    ``by_default``."""
    if not only:
        return [run for run in PLAN if by_default(run.experiment)]
    prefixes = [p.strip() for p in only.split(",") if p.strip()]

    def matches(experiment: str, prefix: str) -> bool:
        # an exact name selects that experiment alone (p1_mnist_b1_k5 is not p1_mnist_b1_k50)
        return experiment == prefix if prefix in NAMES else experiment.startswith(prefix)

    unmatched = [p for p in prefixes if not any(matches(run.experiment, p) for run in PLAN)]
    if unmatched or not prefixes:
        known = list(dict.fromkeys(run.experiment for run in PLAN))
        what = f"{', '.join(unmatched)} selects no experiment" if unmatched else "names no experiment"
        raise SystemExit(f"ONLY={only!r}: {what}; known experiments: {', '.join(known)}")
    return [run for run in PLAN if any(matches(run.experiment, p) for p in prefixes)]
