"""A path of hidden states projected onto its top principal components."""
from __future__ import annotations

import numpy as np


def pca_path(h: np.ndarray, dims: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Project states (T, U) onto their top `dims` principal components: (T, dims) and explained-variance shares."""
    h = np.asarray(h, dtype=np.float64)
    if h.ndim != 2 or len(h) == 0:
        return np.zeros((0, dims)), np.zeros(dims)
    centred = h - h.mean(axis=0)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    proj = centred @ vt[:dims].T if len(s) else np.zeros((len(h), 0))
    if proj.shape[1] < dims:
        proj = np.pad(proj, ((0, 0), (0, dims - proj.shape[1])))
    var = s**2
    share = var[:dims] / var.sum() if var.sum() > 0 else np.zeros(min(dims, len(s)))
    return proj, np.pad(share, (0, dims - len(share)))
