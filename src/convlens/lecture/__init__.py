"""The lecture's worked examples as code.

``xo``: the toy ConvNet "is it an X or an O?": the slides' images and features, feature maps,
ReLU, pooling, the vote, and the same network trained by backpropagation
(``convlens demo xo`` prints it all).

``transfer``: transfer learning (outline item 7): a base pretrained on MNIST, frozen then
fine-tuned on a few Fashion-MNIST images, against the same network trained from scratch.
"""

from . import transfer, xo, xo_images

__all__ = ["transfer", "xo", "xo_images"]
