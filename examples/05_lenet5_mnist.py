"""Slides "Recap: Callbacks" and LeNet-5: MNIST with EarlyStopping, ModelCheckpoint, TensorBoard.

    python examples/05_lenet5_mnist.py --output-dir out [--epochs 10] [--limit 6000]

Trains LeNet-5 (``convlens.applications.lenet5``) on the bundled MNIST with the lecture's three
callbacks, written as on the slide, their files going to the output folder: checkpoints
``model.{epoch:02d}-{val_loss:.2f}.h5`` and TensorBoard logs in ``logs/``. Prints the test
accuracy. ``--limit N`` makes a quick run.
"""

import argparse
import os

from convlens import applications, callbacks
from convlens.datasets import mnist

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--output-dir", default="out/05_lenet5_mnist")
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--limit", type=int, default=None, help="use the first N training images")
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

(x_train, y_train), (x_test, y_test) = mnist.load_data()
if args.limit:  # a quick run: the first N training images and N / 6 test images
    x_train, y_train = x_train[: args.limit], y_train[: args.limit]
    x_test, y_test = x_test[: args.limit // 6 + 1], y_test[: args.limit // 6 + 1]
x_train, x_test = x_train[..., None] / 255.0, x_test[..., None] / 255.0  # (N, 28, 28, 1)

model = applications.lenet5()
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
checkpoints = os.path.join(args.output_dir, "model.{epoch:02d}-{val_loss:.2f}.h5")
my_callbacks = [
    callbacks.EarlyStopping(patience=2),
    callbacks.ModelCheckpoint(filepath=checkpoints),
    callbacks.TensorBoard(log_dir=os.path.join(args.output_dir, "logs")),
]
model.fit(x_train, y_train, epochs=args.epochs, batch_size=128, validation_split=0.1,
          callbacks=my_callbacks, seed=args.seed, verbose=2)  # fmt: skip
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy {accuracy:.4f}, test loss {loss:.4f} ({len(x_test)} images)")
