"""The MGDL core: stair network, grade module, grade loop."""
