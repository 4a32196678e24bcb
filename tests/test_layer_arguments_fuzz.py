"""Every layer's every constructor argument, given careless values (issue 15, item 7): the
layer either works or raises a ValueError/TypeError in words; never another exception kind and
never Python's internals ("'float' object is not iterable", "unsupported operand").

The cases are every (layer, argument, bad value) triple of ``convlens.layers``: a seeded sample
of CASES in the default run, all of them (about 3,000) under ``-m slow``.
"""

import inspect
import random
import warnings

import numpy as np
import pytest

from convlens import layers

BAD_VALUES = [-1, 0, 2.5, True, "x", float("nan"), (), (1, 2, 3, 4, 5), [-1, -1], {"a": 1}]
INTERNALS = (
    "object is not iterable",
    "unsupported operand",
    "object is not subscriptable",
    "has no attribute",
    "object cannot be interpreted",
    "NoneType",
)
SKIPPED = {"Layer", "InputLayer", "Lambda", "Wrapper", "TimeDistributed", "Bidirectional"}
REQUIRED = {  # a working value for each required argument, so one argument is bad at a time
    "filters": 2,
    "kernel_size": 3,
    "units": 3,
    "rate": 0.5,
    "target_shape": (6,),
    "dims": (1,),
    "n": 2,
    "height": 4,
    "width": 4,
    "stddev": 0.1,
    "scale": 1.0,
    "num_bins": 4,
    "max_tokens": 4,
    "num_tokens": 4,
}
INPUTS = [np.ones((2, 8, 8, 3), "float32"), np.ones((2, 8, 3), "float32"), np.ones((2, 6), "f4")]
CASES = 300


def _cases():
    cases = []
    for name in sorted(dir(layers)):
        cls = getattr(layers, name)
        if not inspect.isclass(cls) or not issubclass(cls, layers.Layer) or name in SKIPPED:
            continue
        parameters = [
            p
            for p in inspect.signature(cls.__init__).parameters.values()
            if p.kind == p.POSITIONAL_OR_KEYWORD and p.name != "self"
        ]
        for parameter in parameters:
            for index in range(len(BAD_VALUES)):
                cases.append((name, parameter.name, index))
    return cases


ALL_CASES = _cases()


def _run(name, argument, index):
    cls = getattr(layers, name)
    parameters = inspect.signature(cls.__init__).parameters.values()
    kwargs = {
        p.name: REQUIRED.get(p.name, 2)
        for p in parameters
        if p.default is p.empty and p.kind == p.POSITIONAL_OR_KEYWORD and p.name != "self"
    }
    kwargs[argument] = BAD_VALUES[index]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layer = cls(**kwargs)
            for x in INPUTS:  # the first input rank the layer accepts
                try:
                    layer(x)
                    break
                except (ValueError, TypeError) as error:
                    _check_words(error, name, argument)
    except (ValueError, TypeError) as error:
        _check_words(error, name, argument)


def _check_words(error, name, argument):
    text = str(error)
    assert not any(words in text for words in INTERNALS), (name, argument, text)


@pytest.mark.parametrize(
    "name, argument, index", random.Random(15).sample(ALL_CASES, min(CASES, len(ALL_CASES)))
)
def test_careless_layer_arguments_fail_in_words(name, argument, index):
    _run(name, argument, index)


@pytest.mark.slow
@pytest.mark.parametrize("name, argument, index", ALL_CASES)
def test_every_careless_layer_argument_fails_in_words(name, argument, index):
    _run(name, argument, index)


@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.Dense(10**12),
        lambda: layers.Conv2D(10**12, 3),
        lambda: layers.SeparableConv2D(2, 3, depth_multiplier=10**12),
    ],
)
def test_a_weight_larger_than_the_machine_is_refused_naming_the_layer(make):
    layer = make()
    x = np.ones((1, 8, 8, 3), "float32") if "onv" in type(layer).__name__ else np.ones((1, 3))
    with pytest.raises(ValueError, match=rf'{type(layer).__name__} ".*": weight .* GiB, more than'):
        layer(x)
