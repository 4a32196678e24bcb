"""Keras 3's gradient clipping (``BaseOptimizer._clip_gradients``), in place on the step's copies.

``clipnorm`` rescales each variable's gradient on its own, so it works on the per-variable
arrays; ``global_clipnorm`` and ``clipvalue`` treat all values alike, so they work on whatever
arrays hold them (one flat buffer per dtype on the flat path: one call instead of one per
variable).
"""

from __future__ import annotations

import math

from .. import backend


def clip_gradients(grads, blocks, clipnorm=None, clipvalue=None, global_clipnorm=None) -> None:
    """Clip in place: at most one of ``clipnorm``, ``clipvalue`` and ``global_clipnorm`` is set.

    Args:
        grads: one gradient array per variable.
        blocks: arrays that together hold exactly the values of ``grads`` (the flat buffers
            that ``grads`` are views of, or ``grads`` themselves).
    """
    xp = backend.xp
    if clipnorm is not None:
        for g in grads:  # g ← g·c / max(‖g‖, c), for each variable
            norm = xp.sqrt(xp.sum(xp.square(g)))
            g *= g.dtype.type(clipnorm) / xp.maximum(norm, g.dtype.type(clipnorm))
    elif global_clipnorm is not None:
        norm = math.sqrt(sum(float(xp.sum(xp.square(b))) for b in blocks))  # ‖(g_1, ..., g_n)‖
        # scale = min(c/‖g‖, 1); NaN when the norm is not finite, as Keras.
        scale = (
            min(global_clipnorm / norm, 1.0)
            if 0 < norm < math.inf
            else (1.0 if norm == 0 else math.nan)
        )
        for b in blocks:
            b *= b.dtype.type(scale)
    elif clipvalue is not None:
        for b in blocks:  # g ← clip(g, −c, c), elementwise
            xp.clip(b, -clipvalue, clipvalue, out=b)
