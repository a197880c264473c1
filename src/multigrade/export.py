"""Export a finished grade run's network: ``python -m multigrade.export RUN FILE``.

``FILE`` ending ``.onnx`` gets ONNX (``f_K`` only; needs the ``onnx`` package); any other,
TorchScript, which ``torch.jit.load(FILE)`` reads without multigrade: ``model(x)`` is
``f_K(x)`` (N, d) -> (N, m), ``model.grade_outputs(x)`` every grade's ``g_k(x)`` (K, N, m).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from multigrade.api import load
from multigrade.errors import InputError

log = logging.getLogger("multigrade.export")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="multigrade-export", description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="a grade run's folder (or a grade checkpoint, or a saved model)")
    parser.add_argument("file", type=Path, help="the file to write: .pt (TorchScript) or .onnx")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        model = load(args.run)
    except InputError as error:
        log.error("%s", error)
        return 1
    log.info("%d grades, %d -> %d -> %s", len(model.records), model.stair.in_features, model.stair.out_features,
             model.export(args.file))
    return 0


if __name__ == "__main__":
    sys.exit(main())
