"""The ``convlens`` command: the lecture from a terminal. It parses arguments and calls the
library; it holds no logic. Bad arguments, missing files and unreadable images end with a
one-line error and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _matrix(text: str):
    """``"5 2 3 4; 6 7 8 5"`` -> a 2-D float array (rows separated by ';')."""
    import numpy

    try:
        rows = [[float(v) for v in row.replace(",", " ").split()] for row in text.split(";")]
    except ValueError:
        raise ValueError(
            f"cannot read the matrix {text!r}: use numbers, rows separated by ';'."
        ) from None
    if not rows or any(len(r) != len(rows[0]) or not r for r in rows):
        raise ValueError(f"the matrix {text!r} must have rows of equal, non-zero length.")
    return numpy.array(rows)


def _padding(text: str):
    return text if text in ("valid", "same") else int(text)


def cmd_train(args) -> None:
    from . import jobs

    result = jobs.train(
        model=args.model,
        dataset=args.dataset,
        epochs=args.epochs,
        batch_size=args.batch_size,
        optimizer=args.optimizer,
        learning_rate=args.learning_rate,
        output_dir=args.output_dir,
        seed=args.seed,
        limit=args.limit,
        verbose=args.verbose,
    )
    _out(
        f"test accuracy {result.test_accuracy:.4f}, test loss {result.test_loss:.4f}, "
        f"{result.epochs_run} epochs in {result.seconds:.1f} s"
    )
    _out(f"wrote {', '.join(result.files)}")


def _load_model(path):
    from . import models

    return models.load_model(path)


def cmd_evaluate(args) -> None:
    from . import jobs

    model = _load_model(args.model)
    _, (x_test, y_test) = jobs.load_dataset(args.dataset)
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=512, verbose=0)
    _out(f"test accuracy {accuracy:.4f}, test loss {loss:.4f} ({len(x_test)} images)")


def cmd_predict(args) -> None:
    import numpy

    from . import images

    model = _load_model(args.model)
    height, width, channels = model.input_shape[1:]
    for path in args.images:
        pixels = images.load_image(path, mode="L" if channels == 1 else "RGB", size=(width, height))
        x = pixels.astype(numpy.float32).reshape(1, height, width, channels) / 255.0
        if args.invert:
            x = 1.0 - x  # MNIST digits are white on black; photos of ink are the opposite
        scores = model.predict(x, verbose=0)[0]
        best = int(scores.argmax())
        _out(f"{path}: class {best} (probability {scores[best]:.3f})")


def cmd_summary(args) -> None:
    _load_model(args.model).summary(print_fn=_out, show_routes=args.routes or False)


def cmd_filter(args) -> None:
    from . import filters, images, viz

    photo = images.load_image(
        args.photo or images.sample_photo_path(), mode="L" if args.grey else None
    )
    results = {}
    for name in args.kernel:
        response = filters.apply_kernel(
            photo, filters.get_kernel(name), padding=args.padding, padding_mode=args.padding_mode
        )
        results[name] = filters.to_displayable(
            response, args.display or filters.recommended_display(name)
        )
    if len(results) == 1 and not args.grid:
        images.save_image(args.output, next(iter(results.values())))
    else:
        viz.filter_results(photo, results, args.output)
    _out(f"wrote {args.output}")


def cmd_kernels(args) -> None:
    from . import filters

    _out(filters.describe())


def cmd_explain(args) -> None:
    from . import explain

    image = _matrix(args.image)
    if args.what == "conv":
        if not args.kernel:
            raise ValueError('explain conv needs --kernel, e.g. --kernel "1 0; 1 -1".')
        trace = explain.explain_conv(
            image,
            _matrix(args.kernel),
            stride=args.stride,
            padding=_padding(args.padding),
            dilation=args.dilation,
        )
    else:
        trace = explain.explain_pool(
            image,
            pool_size=args.pool_size,
            stride=args.stride,
            padding=args.padding if args.padding in ("valid", "same") else "valid",
            mode=args.mode,
        )
    _out(explain.format_text(trace))
    if args.output:
        explain.render_png(trace, args.output)
        _out(f"wrote {args.output}")


def cmd_demo(args) -> None:
    from .lecture import xo

    for line in xo.demo_lines(train=not args.no_training, seed=args.seed):
        _out(line)


def cmd_show(args) -> None:
    import numpy

    from . import images, viz

    model = _load_model(args.model)
    if args.what == "filters":
        layer = _layer(model, args.layer, default_kind="Conv2D")
        viz.conv_filters(layer, args.output)
    else:
        if not args.image:
            raise ValueError("show features needs an IMAGE.")
        height, width, channels = model.input_shape[1:]
        pixels = images.load_image(
            args.image, mode="L" if channels == 1 else "RGB", size=(width, height)
        )
        sample = pixels.astype(numpy.float32).reshape(height, width, channels) / 255.0
        viz.feature_maps(
            model, _layer(model, args.layer, default_kind="Conv2D"), sample, args.output
        )
    _out(f"wrote {args.output}")


def _layer(model, name, default_kind):
    if name is not None:
        return model.get_layer(name)
    for layer in model.layers:
        if type(layer).__name__ == default_kind:
            return layer
    raise ValueError(f"the model has no {default_kind} layer; name one with --layer.")


def cmd_tune(args) -> None:
    from .tuner import cli as tuner_cli

    tuner_cli.run(args, _out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="convlens", description="The convolutional networks of the lecture, runnable."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = commands.add_parser("train", help="train LeNet-5 (or the colour CNN) and save it")
    train.add_argument("--model", default="lenet5", choices=["lenet5", "colour_cnn"])
    train.add_argument("--dataset", default="mnist", help="mnist (bundled), fashion_mnist, cifar10")
    train.add_argument("--epochs", type=int, default=12)
    train.add_argument("--batch-size", type=int, default=128)
    train.add_argument("--optimizer", default="adam")
    train.add_argument("--learning-rate", type=float, default=2e-3)
    train.add_argument("--output-dir", default="runs/lenet5")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--limit", type=int, default=None, help="train on the first N images")
    train.add_argument("--verbose", type=int, choices=[0, 1, 2], default=None)
    train.set_defaults(run=cmd_train)

    evaluate = commands.add_parser("evaluate", help="test accuracy of a saved model")
    evaluate.add_argument("model")
    evaluate.add_argument("--dataset", default="mnist")
    evaluate.set_defaults(run=cmd_evaluate)

    predict = commands.add_parser("predict", help="classify image files with a saved model")
    predict.add_argument("images", nargs="+", metavar="IMAGE")
    predict.add_argument("--model", default="runs/lenet5/model.keras")
    predict.add_argument("--invert", action="store_true", help="dark ink on light paper")
    predict.set_defaults(run=cmd_predict)

    summary = commands.add_parser("summary", help="print a saved model's summary")
    summary.add_argument("model")
    summary.add_argument(
        "--routes",
        type=int,
        nargs="?",
        const=32,
        metavar="BATCH",
        help="also show how each convolution and pooling is computed, for a batch of BATCH "
        "(default 32)",
    )
    summary.set_defaults(run=cmd_summary)

    filter_ = commands.add_parser("filter", help="apply the lecture's kernels to a photo")
    filter_.add_argument("photo", nargs="?", help="an image file (default: the bundled photo)")
    filter_.add_argument("--kernel", action="append", required=True, help="a kernel name (repeat)")
    filter_.add_argument("-o", "--output", required=True)
    filter_.add_argument("--grey", action="store_true")
    filter_.add_argument("--grid", action="store_true", help="a grid even for one kernel")
    filter_.add_argument("--padding", default="same", type=_padding)
    filter_.add_argument(
        "--padding-mode", default="zeros", choices=["zeros", "reflect", "replicate", "circular"]
    )
    filter_.add_argument("--display", choices=["clip", "rescale"], default=None)
    filter_.set_defaults(run=cmd_filter)

    kernels = commands.add_parser("kernels", help="print the lecture's kernel bank")
    kernels.set_defaults(run=cmd_kernels)

    explain = commands.add_parser("explain", help="convolution or pooling step by step")
    explain.add_argument("what", choices=["conv", "pool"])
    explain.add_argument("--image", required=True, help='rows separated by ";", e.g. "5 2; 6 7"')
    explain.add_argument("--kernel")
    explain.add_argument("--stride", type=int, default=None)
    explain.add_argument("--padding", default="0")
    explain.add_argument("--dilation", type=int, default=1)
    explain.add_argument("--pool-size", type=int, default=2)
    explain.add_argument("--mode", choices=["max", "min", "mean"], default="max")
    explain.add_argument("-o", "--output", help="also draw the steps to this PNG")
    explain.set_defaults(run=cmd_explain)

    demo = commands.add_parser("demo", help="the lecture's X/O network")
    demo.add_argument("which", choices=["xo"])
    demo.add_argument("--no-training", action="store_true")
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(run=cmd_demo)

    show = commands.add_parser("show", help="pictures of a saved model's features or filters")
    show.add_argument("what", choices=["features", "filters"])
    show.add_argument("model")
    show.add_argument("image", nargs="?")
    show.add_argument("--layer")
    show.add_argument("-o", "--output", required=True)
    show.set_defaults(run=cmd_show)

    tune = commands.add_parser("tune", help="hyperparameter search on MNIST (Optuna)")
    tune.add_argument("--trials", type=int, default=10)
    tune.add_argument(
        "--tuner", default="bayesian", choices=["random", "grid", "hyperband", "bayesian"]
    )
    tune.add_argument("--storage", default=None)
    tune.add_argument("--directory", default="runs/tune")
    tune.add_argument("--project-name", default="lenet")
    tune.add_argument("--epochs", type=int, default=3)
    tune.add_argument("--limit", type=int, default=10000)
    tune.add_argument("--summary", metavar="DIR", help="print an existing study's results")
    tune.add_argument("--seed", type=int, default=0)
    tune.set_defaults(run=cmd_tune)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "stride", 1) is None and args.command == "explain":
        args.stride = 1 if args.what == "conv" else None
    if args.command == "train" and args.verbose is None:
        args.verbose = "auto"
    try:
        args.run(args)
    except BrokenPipeError:  # `convlens kernels | head`: the reader left; nothing to report
        sys.stderr.close()
        return 0
    except (ValueError, TypeError, OSError, ImportError, RuntimeError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        sys.stderr.write(f"convlens {args.command}: error: {message}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(f"convlens {args.command}: interrupted\n")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
