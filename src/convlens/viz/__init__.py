"""Pictures of what a network does, one call each, written as PNG (or GIF) files with matplotlib.

Every picture is drawn to be read: panels at a legible size (a photo at its own size up to
1024 pixels, a 5x5 kernel or a 28x28 map enlarged), a title naming the kernel or layer, a
colour bar with values, and diverging colours centred on zero (``RdBu_r``: red positive, blue
negative, white zero) for signed maps.

- :mod:`.network`: :func:`feature_maps` of a layer (a dense layer as a bar chart),
  :func:`conv_filters` of a conv layer;
- :mod:`.photos`: :func:`filter_results`, kernels applied to a photo with an enlarged detail
  and each result's difference from the original;
- :mod:`.training`: :func:`training_curves`, :func:`confusion_matrix`,
  :func:`augmentation_grid`;
- :mod:`.optimizers`: :func:`optimizer_paths`, the recap's optimizers on a saddle and a
  double well (``convlens show optimizers``).

Each ``*_figure`` function returns the open matplotlib Figure instead (for notebooks).
matplotlib is an optional extra (``pip install convlens[viz]``), imported lazily.
"""

from .network import (
    conv_filters,
    conv_filters_figure,
    feature_maps,
    feature_maps_figure,
    target_output,
)
from .optimizers import optimizer_figure, optimizer_paths
from .photos import filter_figure, filter_results
from .training import augmentation_grid, confusion_matrix, training_curves

__all__ = [
    "augmentation_grid",
    "confusion_matrix",
    "conv_filters",
    "conv_filters_figure",
    "feature_maps",
    "feature_maps_figure",
    "filter_figure",
    "filter_results",
    "optimizer_figure",
    "optimizer_paths",
    "target_output",
    "training_curves",
]
