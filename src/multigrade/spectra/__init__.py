"""Residual spectra: what each grade learns, frequency by frequency."""
