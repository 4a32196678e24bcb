"""The commands of the lecture's pieces: filter, kernels, explain, demo, and the tuner's tune."""

from __future__ import annotations

import logging

from . import output, types
from .output import out


def _kernel(text: str):
    """A kernel of the bank by name, or the user's own matrix (``"1 0 -1; 2 0 -2; 1 0 -1"``)."""
    from .. import filters

    if types.looks_like_matrix(text):
        return filters.get_kernel(types.matrix(text))
    try:
        return filters.get_kernel(text)
    except ValueError:
        raise ValueError(
            f"Unknown kernel {text!r}; accepted: a name of `convlens kernels` "
            f'({", ".join(filters.KERNELS)}) or a matrix, rows separated by ";", such as '
            '"-1 0 1; -2 0 2; -1 0 1"'
        ) from None


def check_padding(padding, kernel_sizes, image_size) -> None:
    """Refuse a --padding in pixels wider than both the largest kernel reaches (size - 1:
    "full" padding; beyond it the output's border sees only padding) and the image: the
    padded array would grow without meaning, to gigabytes (--padding 100000 asked 897 GiB)."""
    if not isinstance(padding, int):
        return
    reach = max(max(size) for size in kernel_sizes) - 1
    limit = max(reach, 0) if reach <= max(image_size) else max(image_size)
    if padding > limit:
        height, width = image_size
        raise ValueError(
            f"--padding {padding} is wider than the kernel reaches ({reach} pixels) on a "
            f'{width}x{height} image; accepted: "valid", "same" or 0 to {limit} pixels'
        )


def _check_same_window(padding, window: int, image_size, what: str) -> None:
    """Refuse "same" padding around a window larger than the image: it pads by half the
    window (--pool-size 10**6 asked numpy for 7 TiB)."""
    if padding == "same" and window > max(image_size):
        height, width = image_size
        raise ValueError(
            f"{what} spans {window} pixels, more than the {width}x{height} image, with "
            f'--padding "same"; accepted: a window of at most {max(image_size)} pixels'
        )


def cmd_filter(args) -> int:
    import numpy

    from .. import filters, images, viz

    path = args.photo or images.sample_photo_path()
    photo = images.load_image(path, mode="L" if args.grey else None)
    kernels = {text: _kernel(text) for text in args.kernel}
    check_padding(args.padding, [k.shape[:2] for k in kernels.values()], photo.shape[:2])
    results, signed = {}, {}
    for text, kernel in kernels.items():
        try:
            with numpy.errstate(over="ignore", invalid="ignore"):  # checked just below
                response = filters.apply_kernel(
                    photo, kernel, padding=args.padding, padding_mode=args.padding_mode
                )
        except ValueError as error:  # a photo too small for the kernel or the border
            height, width = photo.shape[:2]
            raise ValueError(f"{path} ({width}x{height} pixels): {error}") from None
        if not numpy.isfinite(response).all():  # it would be drawn as noise, silently
            raise ValueError(
                f"the kernel {text!r} on {path} gives values beyond float64's range (inf or "
                "NaN); accepted: kernels whose sums of products stay finite (smaller weights)"
            )
        display = args.display or filters.recommended_display(kernel)
        results[text] = filters.to_displayable(response, display)
        if display == "rescale" and response.min() < 0:  # an edge kernel: drawn signed in a grid
            signed[text] = response
    if len(results) == 1 and not args.grid:
        images.save_image(args.output, next(iter(results.values())))
    else:
        viz.filter_results(photo, results, args.output, signed_responses=signed)
    out(f"wrote {args.output}; {filters.describe_border(args.padding, args.padding_mode)}")
    return 0


def cmd_kernels(args) -> int:
    from .. import filters

    out(filters.describe())
    return 0


def cmd_explain(args) -> int:
    from .. import explain

    image = types.matrix(args.image)
    stride = args.stride or (1 if args.what == "conv" else None)
    if args.what == "conv":
        if not args.kernel:
            raise ValueError('explain conv needs --kernel, e.g. --kernel "1 0; 1 -1".')
        kernel = types.matrix(args.kernel)
        reach = [(n - 1) * args.dilation + 1 for n in kernel.shape]
        check_padding(args.padding, [reach], image.shape)
        _check_same_window(args.padding, max(reach), image.shape, "the dilated --kernel")
        trace = explain.explain_conv(
            image,
            kernel,
            stride=stride,
            padding=args.padding,
            dilation=args.dilation,
        )
    else:
        _check_same_window(args.padding, args.pool_size, image.shape, "--pool-size")
        trace = explain.explain_pool(
            image,
            pool_size=args.pool_size,
            stride=stride,
            padding=args.padding if args.padding in ("valid", "same") else "valid",
            mode=args.mode,
        )
    out(explain.format_text(trace))
    if args.output:
        explain.render_steps(trace, args.output)  # every step: a sheet, or a GIF for .gif
        out(f"wrote {args.output}: all {len(trace.steps)} steps")
    return 0


def cmd_demo(args) -> int:
    from ..lecture import xo

    for line in xo.demo_lines(train=not args.no_training, seed=args.seed):
        out(line)
    return 0


class _OptunaLines(logging.Filter):
    """Keeps Optuna's line per finished trial (the search's progress) and drops the rest that
    would crowd the command's own message: "A new study created"/"Using an existing study"
    (the command says what it does with the study), and everything from the first record
    about a Ctrl-C on (Optuna logs the interrupted trial with its whole traceback)."""

    _DROPPED = ("A new study created", "Using an existing study")

    def __init__(self):
        super().__init__()
        self.interrupted = False

    def filter(self, record) -> bool:
        info, text = record.exc_info, str(record.msg)
        if (info and isinstance(info[1], KeyboardInterrupt)) or "KeyboardInterrupt" in text:
            self.interrupted = True
        return not self.interrupted and not text.startswith(self._DROPPED)


def cmd_tune(args) -> int:
    from ..tuner import cli as tuner_cli

    try:
        import optuna

        optuna.logging.get_verbosity()  # sets up Optuna's handler, which the filter joins
    except ImportError:
        pass  # tune_cli.run says how to install it
    quiet = _OptunaLines()
    logger = logging.getLogger("optuna")
    logger.addFilter(quiet)
    for handler in logger.handlers:  # Optuna logs through its own handler
        handler.addFilter(quiet)
    try:
        tuner_cli.run(args, lambda line: output.out(line))  # looked up late: tests replace it
    finally:
        logger.removeFilter(quiet)
        for handler in logger.handlers:
            handler.removeFilter(quiet)
    return 0
