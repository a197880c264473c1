"""Datasets, all loadable offline: each builder returns a ``RegressionData``."""
