"""Careless constructor and model calls get a clear error of the right kind, naming the layer or
call and the argument (issue 15 item 7), instead of being accepted or leaking internals."""

import pytest

import convlens as cl

L = cl.layers


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: L.Conv2D(2, 3, use_bias="no"), TypeError, r'Conv2D ".*": use_bias must be True'),
        (lambda: L.Dense(2, use_bias=1), TypeError, r"use_bias must be True or False, received 1"),
        (lambda: L.Conv2D(True, 3), ValueError, r"filters"),
        (lambda: L.Conv2D(2, 2.5), ValueError, r"kernel_size must be a positive int .* 2.5"),
        (lambda: L.Conv2D(2, None), ValueError, r"kernel_size must be a positive int"),
        (lambda: L.Input((28, 28, 0)), ValueError, r"shape and batch size must be positive ints"),
        (lambda: cl.optimizers.Adam(float("inf")), ValueError, r"learning_rate must be a finite"),
        (lambda: cl.optimizers.SGD(momentum=float("inf")), ValueError, r"momentum must be"),
        (
            lambda: cl.models.Sequential([L.Input((4, 4, 2)), L.BatchNormalization(axis=5)]),
            ValueError,
            r'BatchNormalization ".*": expected an input with an axis 5',
        ),
        (
            lambda: cl.applications.lenet5().get_layer(index=99),
            ValueError,
            r'get_layer: index must be an int in \[-8, 8\) for model "lenet5"',
        ),
        (
            lambda: cl.applications.lenet5().compile("adam", "mse", metrics="accuracy"),
            TypeError,
            r"metrics must be a list, tuple or dict, received 'accuracy'; write metrics=",
        ),
        (
            lambda: cl.images.load_image(cl.images.sample_photo_path(), size=(10**9, 10**9)),
            ValueError,
            r"asks for 1,000,000,000,000,000,000 pixels",
        ),
    ],
)
def test_careless_call_is_refused_clearly(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_numpy_ints_are_still_accepted_as_sizes():
    import numpy

    layer = L.Conv2D(2, numpy.int64(3), strides=(numpy.int32(1), 1))
    assert layer.kernel_size == (3, 3) and type(layer.kernel_size[0]) is int


def test_a_long_sequential_checks_names_once(monkeypatch):
    """The constructor checks all names in one pass (checking each addition against the others
    was quadratic: 20,000 layers took > 10 s); counted, not timed."""
    from convlens.models import sequential

    calls = []
    check = sequential._check_unique_names
    monkeypatch.setattr(
        sequential, "_check_unique_names", lambda *a: calls.append(len(a[1])) or check(*a)
    )
    model = cl.models.Sequential([L.Input((4,))] + [L.Activation("linear") for _ in range(3000)])
    assert len(model.layers) == 3000 and calls == [3000]


def test_a_duplicate_name_is_refused_and_not_added():
    model = cl.models.Sequential([L.Input((4,)), L.Dense(2, name="d")])
    with pytest.raises(ValueError, match=r'two layers are named "d"'):
        model.add(L.Dense(3, name="d"))
    assert [layer.name for layer in model.layers] == ["d"]
    with pytest.raises(ValueError, match=r'two layers are named "e"'):
        cl.models.Sequential([L.Dense(2, name="e"), L.Dense(2, name="e")])
