"""Deployment of spiking students to Intel Loihi 2 through lava-dl: a fixed-point CUBA student,
netx export, lava simulation, parity and energy."""
