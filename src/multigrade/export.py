"""Export a finished grade run's network: ``python -m multigrade.export RUN FILE``.

By ``FILE``'s suffix (``MultiGradeModel.export``): ``.pt2``, ``torch.export``; ``.onnx``,
ONNX (``f_K`` only; needs ``multigrade[export]``); any other, TorchScript. Each runs without
multigrade: ``torch.jit.load(FILE)(x)`` is ``f_K(x)`` (N, d) -> (N, m), and its
``grade_outputs(x)`` every grade's ``g_k(x)`` (K, N, m).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from multigrade.api import load
from multigrade.jobs import exits_cleanly

log = logging.getLogger("multigrade.export")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="multigrade-export", description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="a grade run's folder (or a grade checkpoint, or a saved model)")
    parser.add_argument("file", type=Path, help="the file to write: .pt (TorchScript), .pt2 (torch.export) or .onnx")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with exits_cleanly():
        model = load(args.run)
    log.info("%d grades, %d -> %d -> %s", len(model.records), model.stair.in_features, model.stair.out_features,
             model.export(args.file))
    return 0


if __name__ == "__main__":
    sys.exit(main())
