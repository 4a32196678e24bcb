"""The lecture's worked examples as code.

``xo``: the toy ConvNet "is it an X or an O?": the slides' images and features, feature maps,
ReLU, pooling, the vote, and the same network trained by backpropagation
(``convlens demo xo`` prints it all).
"""

from . import xo, xo_images

__all__ = ["xo", "xo_images"]
