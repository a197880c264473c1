"""Template attacks: profile a clone with known secrets, then classify a victim's features.

Profiling features ``x`` (K classes × P traces × D) give the templates:

* nearest template: class means ``μ_k``; a victim ``y`` is the class of the nearest
  ``μ_k`` (Euclidean);
* Gaussian likelihood: the means projected on the ``r = K - 1`` principal directions
  ``U`` (D, r) of the centred class means, and the pooled within-class covariance
  ``Σ = 1/(K(P-1)) Σ_k Σ_p (U^T(x_kp - μ_k))(U^T(x_kp - μ_k))^T`` (plus a ridge of 1e-6
  of its trace); a victim is the class maximising
  ``log N(U^T y; U^T μ_k, Σ) = -½ (U^T(y - μ_k))^T Σ^{-1} (U^T(y - μ_k)) + const``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CLASSIFIERS = ("nearest", "gaussian")


@dataclass
class Templates:
    """Class means (K, D), projection (D, r) and the pooled covariance's inverse (r, r)."""

    means: np.ndarray
    projection: np.ndarray
    precision: np.ndarray

    @classmethod
    def fit(cls, profiles: np.ndarray) -> "Templates":
        """``profiles`` (K, P, D), P ≥ 2 traces of each class."""
        classes, per_class, _ = profiles.shape
        if per_class < 2:
            raise ValueError(f"templates need at least 2 profiling traces per class; got {per_class}")
        means = profiles.mean(axis=1)
        centred = means - means.mean(axis=0)
        _, singular, directions = np.linalg.svd(centred, full_matrices=False)
        rank = max(1, int((singular > singular.max() * 1e-9).sum()))  # directions the means span
        projection = directions[: min(rank, classes - 1)].T
        within = ((profiles - means[:, None, :]) @ projection).reshape(-1, projection.shape[1])
        covariance = within.T @ within / (classes * (per_class - 1))
        covariance += np.eye(len(covariance)) * (1e-6 * np.trace(covariance) + 1e-300)
        return cls(means, projection, np.linalg.inv(covariance))

    def classify(self, victims: np.ndarray, classifier: str) -> np.ndarray:
        """(V,) class indices of ``victims`` (V, D)."""
        if classifier == "nearest":
            distance = ((victims[:, None, :] - self.means[None]) ** 2).sum(axis=-1)
        elif classifier == "gaussian":
            offset = (victims[:, None, :] - self.means[None]) @ self.projection  # (V, K, r)
            distance = np.einsum("vkr,rs,vks->vk", offset, self.precision, offset)
        else:
            raise ValueError(f"unknown classifier {classifier!r}; one of {', '.join(CLASSIFIERS)}")
        return distance.argmin(axis=1)


def success_rates(profiles: np.ndarray, victims: np.ndarray) -> dict[str, float]:
    """Fraction of victims (K, V, D) classified right, per classifier, by templates fitted
    on ``profiles`` (K, P, D)."""
    templates = Templates.fit(profiles)
    truth = np.repeat(np.arange(victims.shape[0]), victims.shape[1])
    flat = victims.reshape(-1, victims.shape[-1])
    return {name: float((templates.classify(flat, name) == truth).mean()) for name in CLASSIFIERS}
