"""The package as installed: a wheel that carries its configs and runs from any folder, and
declared dependencies that are the imported ones."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import shutil
import site
import subprocess
import sys
import tomllib
import venv

import numpy as np
import pytest

from conftest import REPO

# Imported by the Loihi environment's own process (loihi/requirements.txt), not this one
OTHER_ENVIRONMENT = {"lava"}
# Loaded by a logger that a config selects (logger=wandb, logger=tensorboard), not imported here
BY_CONFIG = {"wandb", "tensorboard"}


def distribution(requirement: str) -> str:
    return re.split(r"[<>=!\[ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def imported_distributions() -> set[str]:
    """The distributions whose modules ``src/`` imports (outside the standard library)."""
    modules = set()
    for path in (REPO / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module.split(".")[0])
    modules -= set(sys.stdlib_module_names) | {"multigrade", "hydra_plugins"} | OTHER_ENVIRONMENT
    owners = importlib.metadata.packages_distributions()
    return {owners[module][0].lower() for module in modules}


def test_declared_dependencies_are_the_imported_ones():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    core = {distribution(r) for r in project["dependencies"]}
    extras = {distribution(r) for group in project["optional-dependencies"].values() for r in group}
    imported = imported_distributions()
    assert imported - core - extras == set(), "imported but not declared"
    assert core - imported - BY_CONFIG == set(), "declared but never imported"


@pytest.mark.slow
def test_the_wheel_runs_an_experiment_and_predicts_from_another_folder(tmp_path):
    """A wheel of the project, in a fresh environment outside the repository, runs a smoke
    experiment and predicts from its run folder. The environment takes the dependencies
    from the one running the tests (a path entry), not from the package index."""
    source = tmp_path / "source"  # a copy: building writes build/ beside the sources
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                    "--wheel-dir", str(tmp_path / "dist"), str(source)], check=True, capture_output=True)
    [wheel] = (tmp_path / "dist").glob("multigrade-*.whl")
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    own_site = subprocess.run([python, "-c", "import site; print(site.getsitepackages()[0])"], check=True,
                              capture_output=True, text=True).stdout.strip()
    # the dependencies, behind the wheel's own files (the .pth files of that folder, an
    # editable install of the repository among them, are not read)
    with open(f"{own_site}/dependencies.pth", "w") as file:
        file.write(site.getsitepackages()[0] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet",
                    str(wheel)], check=True, capture_output=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.run([python, "-c", "import multigrade; print(multigrade.__file__)"], cwd=work, check=True,
                           capture_output=True, text=True).stdout
    assert where.startswith(str(env_dir)), where
    bin_dir = env_dir / "bin"
    subprocess.run([bin_dir / "multigrade", "experiment=p2_sin", "profile=smoke", "logger=none",
                    "callbacks.progress.refresh_rate=0", "paths.output_dir=run"], cwd=work, check=True,
                   capture_output=True)
    assert (work / "run" / "metrics.json").is_file() and (work / "run" / ".hydra" / "config.yaml").is_file()
    np.save(work / "x.npy", np.linspace(0, 1, 9)[:, None])
    subprocess.run([bin_dir / "multigrade-predict", "run", "x.npy", "--out", "f.npy"], cwd=work, check=True,
                   capture_output=True)
    assert np.load(work / "f.npy").shape == (3, 9, 1)
    # the other commands start: Hydra's help composes each one's config from the wheel
    for script in ("multigrade-snn", "multigrade-scann", "multigrade-reproduce", "multigrade-bench",
                   "multigrade-export"):
        shown = subprocess.run([bin_dir / script, "--help"], cwd=work, capture_output=True, text=True)
        printed = shown.stdout + shown.stderr
        assert shown.returncode == 0 and ("usage:" in printed or "== Config ==" in printed), (script, printed)
