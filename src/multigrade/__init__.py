"""multigrade: multi-grade deep learning (MGDL) against spectral bias, as a library.

::

    import multigrade as mg
    model = mg.fit([mg.GradeSpec([64, 64])] * 3, mg.GradeSchedule(300, 100, 1e-2, 1e-3), x, y)
    model.predict(x_new)
"""

from multigrade.api import MultiGrade, MultiGradeModel, fit, load, regression_data
from multigrade.data.regression import RegressionData
from multigrade.errors import ConfigError, InputError
from multigrade.grades.adaptive import AdaptiveGrading
from multigrade.grades.records import GradeSpec
from multigrade.grades.schedule import GradeSchedule

__all__ = ["AdaptiveGrading", "ConfigError", "GradeSchedule", "GradeSpec", "InputError", "MultiGrade",
           "MultiGradeModel", "RegressionData", "fit", "load", "regression_data"]
