"""Run a netx network on lava's Loihi 2 simulation, one image at a time (run in the Loihi
environment, Python 3.10 with lava-dl 0.6.0 and lava-nc 0.10.0; it imports nothing else of
this package)::

    python lava_run.py NET.h5 INPUTS.npz OUT_DIR

``INPUTS.npz`` holds ``spikes`` (images, T, n_in) of 0/1. For every image a fresh
``lava.lib.dl.netx.hdf5.Network`` (lava keeps neuron state across runs) is driven by the
spikes through a ``RingBuffer`` source and run for T steps with
``Loihi2SimCfg(select_tag="fixed_pt")``; sinks on every layer record its spikes.

Writes ``OUT_DIR/spikes.npz`` (``layer_<l>``: (images, T, n_l) uint8, l = 1 .. L) and,
last, ``OUT_DIR/result.json``: the steps, the seconds to import lava, and per image the
seconds to build and to run the network. The caller derives predictions and activity from
the spikes. Exit status 2 with a message on stderr when an input is missing or unreadable.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np


def fail(message: str) -> None:
    print(f"lava_run: {message}", file=sys.stderr)
    raise SystemExit(2)


def check_network(net_file: Path) -> None:
    """Exit with a message unless ``net_file`` is an HDF5 file with netx's ``layer`` group."""
    import h5py

    try:
        with h5py.File(net_file, "r") as handle:
            has_layers = "layer" in handle
    except OSError as error:
        fail(f"{net_file} is not a netx network file: {error}")
    if not has_layers:
        fail(f"{net_file} is not a netx network file: it has no 'layer' group")


def run_image(net_file: Path, spikes: np.ndarray) -> tuple[list[np.ndarray], float, float]:
    """Per-layer spikes (T, n_l) of one image (spikes (T, n_in)), the build and run seconds."""
    from lava.lib.dl import netx
    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi2SimCfg
    from lava.proc.io.sink import RingBuffer as Sink
    from lava.proc.io.source import RingBuffer as Source

    started = time.perf_counter()
    steps = spikes.shape[0]
    net = netx.hdf5.Network(net_config=str(net_file))
    source = Source(data=spikes.T.astype(np.int32))
    source.s_out.connect(net.inp)
    sinks = []
    for block in net.layers:
        sink = Sink(shape=block.out.shape, buffer=steps)
        block.out.connect(sink.a_in)
        sinks.append(sink)
    built = time.perf_counter()
    try:
        net.run(condition=RunSteps(num_steps=steps), run_cfg=Loihi2SimCfg(select_tag="fixed_pt"))
        recorded = [sink.data.get().T.astype(np.uint8) for sink in sinks]
    finally:
        net.stop()
    return recorded, built - started, time.perf_counter() - built


def main(argv: list[str]) -> None:
    net_file, inputs_file, out = Path(argv[0]), Path(argv[1]), Path(argv[2])  # written by multigrade.loihi.deploy
    with np.load(inputs_file) as arrays:
        spikes = arrays["spikes"]  # (images, steps, inputs)
    check_network(net_file)
    started = time.perf_counter()
    import lava.lib.dl.netx  # noqa: F401  (the import alone takes seconds: timed apart)
    import_seconds = time.perf_counter() - started
    layers: list[list[np.ndarray]] = []
    build, run = [], []
    for image in spikes:
        recorded, built, ran = run_image(net_file, image)
        layers.append(recorded)
        build.append(built)
        run.append(ran)
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / "spikes.npz", **{f"layer_{l + 1}": np.stack([image[l] for image in layers])
                                              for l in range(len(layers[0]))})
    summary = {"steps": int(spikes.shape[1]), "import_seconds": import_seconds,
               "build_seconds": build, "run_seconds": run}
    partial = out / "result.json.tmp"
    partial.write_text(json.dumps(summary))
    partial.replace(out / "result.json")


if __name__ == "__main__":
    main(sys.argv[1:])
