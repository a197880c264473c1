"""The papers' logged numbers, and the report's notes on each experiment's settings, read
from ``papers.yaml`` beside this module (its header says how an entry reads)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml


@cache
def papers() -> dict:
    """``{"numbers": {experiment: {run: entry}}, "notes": {experiment: text}}``."""
    return yaml.safe_load(Path(__file__).with_name("papers.yaml").read_text())


def paper_numbers(experiment: str, run: str) -> dict:
    """The logged numbers for (experiment, run name); empty when the papers publish none."""
    return papers()["numbers"].get(experiment, {}).get(run, {})
