"""Spiking neurons, spiking students, DNN teachers and their distillation."""
