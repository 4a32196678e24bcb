"""Initializers: statistics of large samples against the formulas, fans, orthogonality, seeds,
dtypes, and the registry (names, configs, JSON)."""

import json
import math

import numpy as np
import pytest

from convlens import backend, initializers
from convlens.initializers import compute_fans
from oracle import host

DENSE, CONV = (300, 200), (3, 3, 64, 128)  # 60 000 and 73 728 samples


def truncated_unit_std():
    """The std of N(0, 1) truncated to [-2, 2], from the normal pdf and cdf (not Keras's
    constant)."""
    pdf = math.exp(-2.0) / math.sqrt(2 * math.pi)  # φ(2)
    mass = math.erf(2 / math.sqrt(2))  # Φ(2) - Φ(-2)
    return math.sqrt(1 - 2 * 2 * pdf / mass)


def test_truncation_constant_is_the_truncated_normal_std():
    assert initializers.TRUNCATED_NORMAL_STDDEV == pytest.approx(truncated_unit_std(), rel=1e-12)


@pytest.mark.parametrize(
    "shape, fans",
    [
        ((), (1, 1)),
        ((7,), (7, 7)),
        ((300, 200), (300, 200)),
        ((5, 5, 3, 16), (75, 400)),
        ((3, 3, 64, 128), (576, 1152)),
        ((2, 3, 4, 5, 6), (120, 144)),
    ],
)
def test_fans_as_keras(shape, fans):
    assert compute_fans(shape) == fans


# name -> (scale, mode, distribution), Keras's presets
PRESETS = {
    "glorot_uniform": (1.0, "fan_avg", "uniform"),
    "glorot_normal": (1.0, "fan_avg", "truncated_normal"),
    "he_uniform": (2.0, "fan_in", "uniform"),
    "he_normal": (2.0, "fan_in", "truncated_normal"),
    "lecun_uniform": (1.0, "fan_in", "uniform"),
    "lecun_normal": (1.0, "fan_in", "truncated_normal"),
}


def check_sample(values, mean, std, low=None, high=None):
    """Sample mean and std within a few standard errors of the formula; bounds respected."""
    values = host(values)
    n = values.size
    assert abs(values.mean() - mean) < 5 * std / math.sqrt(n)
    assert values.std() == pytest.approx(std, rel=0.02)
    if low is not None:
        assert values.min() >= low and values.max() <= high
        assert values.min() < low + 0.01 * (high - low) and values.max() > high - 0.01 * (
            high - low
        )


@pytest.mark.parametrize("shape", [DENSE, CONV])
@pytest.mark.parametrize("name", PRESETS)
def test_variance_scaling_presets_match_the_formula(name, shape):
    scale, mode, distribution = PRESETS[name]
    fan_in, fan_out = compute_fans(shape)
    fan = {"fan_in": fan_in, "fan_avg": (fan_in + fan_out) / 2}[mode]
    values = host(type(initializers.get(name))(seed=0)(shape)).astype(np.float64)  # deterministic
    assert values.shape == shape
    if distribution == "uniform":
        limit = math.sqrt(3 * scale / fan)  # glorot_uniform: sqrt(6 / (fan_in + fan_out))
        check_sample(values, 0.0, limit / math.sqrt(3), -limit, limit)
    else:  # drawn with std sqrt(scale/fan)/0.8796, cut at 2 of those: kept std sqrt(scale/fan)
        drawn = math.sqrt(scale / fan) / truncated_unit_std()
        check_sample(values, 0.0, math.sqrt(scale / fan), -2 * drawn, 2 * drawn)


def test_glorot_uniform_limit_written_out():
    values = initializers.GlorotUniform(seed=0)(DENSE)
    assert np.abs(values).max() <= math.sqrt(6 / (300 + 200))


@pytest.mark.parametrize("mode, fan", [("fan_in", 576), ("fan_out", 1152), ("fan_avg", 864)])
def test_variance_scaling_untruncated_normal_and_modes(mode, fan):
    init = initializers.VarianceScaling(3.0, mode, "untruncated_normal", seed=1)
    check_sample(host(init(CONV)).astype(np.float64), 0.0, math.sqrt(3.0 / fan))


def test_variance_scaling_normal_means_truncated():
    assert initializers.VarianceScaling(distribution="normal").distribution == "truncated_normal"


def test_random_normal_uniform_truncated_parameters():
    shape = (400, 250)
    check_sample(initializers.RandomNormal(1.0, 2.0, seed=0)(shape, "float64"), 1.0, 2.0)
    check_sample(
        initializers.RandomUniform(-1.0, 3.0, seed=0)(shape, "float64"),
        1.0,
        4 / math.sqrt(12),
        -1.0,
        3.0,
    )
    check_sample(
        initializers.TruncatedNormal(1.0, 2.0, seed=0)(shape, "float64"),
        1.0,
        2.0 * truncated_unit_std(),
        -3.0,
        5.0,
    )


def test_keras_defaults():
    assert initializers.RandomNormal().get_config() == {"mean": 0.0, "stddev": 0.05, "seed": None}
    assert initializers.RandomUniform().get_config() == {
        "minval": -0.05,
        "maxval": 0.05,
        "seed": None,
    }
    assert initializers.TruncatedNormal().get_config()["stddev"] == 0.05
    assert initializers.VarianceScaling().get_config() == {
        "scale": 1.0,
        "mode": "fan_in",
        "distribution": "truncated_normal",
        "seed": None,
    }
    assert initializers.Orthogonal().get_config() == {"gain": 1.0, "seed": None}
    assert initializers.Constant().get_config() == {"value": 0.0}


@pytest.mark.parametrize(
    "shape, rows, cols",
    [
        ((64, 64), 64, 64),
        ((100, 30), 100, 30),
        ((30, 100), 30, 100),
        ((3, 3, 16, 32), 144, 32),
        ((1, 1, 8, 64), 8, 64),
    ],
)
def test_orthogonal_is_orthogonal(shape, rows, cols):
    q = host(initializers.Orthogonal(gain=2.0, seed=0)(shape, "float64"))
    assert q.shape == shape
    m = q.reshape(rows, cols)  # as Keras flattens: all axes but the last are rows
    gram = m.T @ m if rows >= cols else m @ m.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(rows, cols)), atol=1e-12)


def test_identity_zeros_ones_constant():
    np.testing.assert_array_equal(
        host(initializers.Identity(gain=3.0)((2, 3))), [[3, 0, 0], [0, 3, 0]]
    )
    np.testing.assert_array_equal(host(initializers.Zeros()((2, 2))), np.zeros((2, 2)))
    np.testing.assert_array_equal(host(initializers.Ones()((3,))), np.ones(3))
    np.testing.assert_array_equal(host(initializers.Constant(0.5)((2,))), [0.5, 0.5])
    np.testing.assert_array_equal(host(initializers.Constant([1.0, 2.0])((2, 2))), [[1, 2], [1, 2]])


def test_bad_shapes_and_arguments_raise():
    with pytest.raises(
        ValueError,
        match=r"Orthogonal: the shape must have at least two "
        r"dimensions, received \(5,\) of rank 1",
    ):
        initializers.Orthogonal()((5,))
    with pytest.raises(ValueError, match=r"Identity: the shape must be 2D"):
        initializers.Identity()((2, 2, 2))
    with pytest.raises(ValueError, match="mode must be one of fan_in, fan_out, fan_avg"):
        initializers.VarianceScaling(mode="fan_sum")
    with pytest.raises(ValueError, match="distribution must be one of"):
        initializers.VarianceScaling(distribution="cauchy")
    with pytest.raises(ValueError, match="scale must be a finite number > 0"):
        initializers.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="minval"):
        initializers.RandomUniform(1.0, -1.0)
    with pytest.raises(ValueError, match="non-negative ints"):
        initializers.Zeros()((2, -1))
    with pytest.raises(TypeError, match="seed must be an int"):
        initializers.HeNormal(seed=1.5)


ALL_RANDOM = [
    "random_normal",
    "random_uniform",
    "truncated_normal",
    "variance_scaling",
    "orthogonal",
    *PRESETS,
]


@pytest.mark.parametrize("name", ALL_RANDOM)
def test_int_seed_repeats_and_generator_streams(name):
    cls = type(initializers.get(name))
    seeded = cls(seed=7)
    first = host(seeded((20, 10)))
    np.testing.assert_array_equal(first, host(seeded((20, 10))))  # the same object repeats
    np.testing.assert_array_equal(first, host(cls(seed=7)((20, 10))))  # and so does a new one
    assert not np.array_equal(first, host(cls(seed=8)((20, 10))))

    stream = cls(seed=np.random.default_rng(3))
    a, b = host(stream((20, 10))), host(stream((20, 10)))
    assert not np.array_equal(a, b)  # a Generator advances
    replay = cls(seed=np.random.default_rng(3))
    np.testing.assert_array_equal(a, host(replay((20, 10))))
    np.testing.assert_array_equal(b, host(replay((20, 10))))

    fresh = cls()
    assert not np.array_equal(host(fresh((20, 10))), host(fresh((20, 10))))


@pytest.mark.parametrize("name", ["zeros", "ones", "constant", "identity", *ALL_RANDOM])
def test_float32_by_default_float64_when_asked(name):
    init = initializers.get(name)
    assert init((4, 4)).dtype == np.float32
    assert isinstance(init((4, 4)), backend.xp.ndarray)
    assert init((4, 4), dtype="float64").dtype == np.float64
    assert init((4, 4), dtype=np.float64).dtype == np.float64


def test_random_initializer_rejects_integer_dtype():
    with pytest.raises(ValueError, match="floating dtype, received int32"):
        initializers.GlorotUniform(seed=0)((2, 2), dtype="int32")


def test_same_seed_float64_and_float32_agree():
    init = initializers.HeNormal(seed=5)
    np.testing.assert_allclose(host(init((8, 8))), host(init((8, 8), "float64")), rtol=1e-6)


# ----- registry -----
def test_names_aliases_and_class_names():
    assert type(initializers.get("glorot_uniform")) is initializers.GlorotUniform
    assert type(initializers.get("GlorotUniform")) is initializers.GlorotUniform
    assert type(initializers.get("normal")) is initializers.RandomNormal
    assert type(initializers.get("uniform")) is initializers.RandomUniform
    assert type(initializers.get("zero")) is initializers.Zeros
    assert type(initializers.get("OrthogonalInitializer")) is initializers.Orthogonal
    assert type(initializers.get(initializers.HeNormal)) is initializers.HeNormal
    assert initializers.get(None) is None
    obj = initializers.HeNormal(seed=1)
    assert initializers.get(obj) is obj

    def custom(shape, dtype="float32"):
        return np.full(shape, 2.0, dtype)

    assert initializers.get(custom) is custom


def test_unknown_name_lists_the_accepted_ones():
    with pytest.raises(
        ValueError,
        match=r"Unknown initializer 'glorot_unifrom'\. Accepted names: "
        r"constant, glorot_normal, glorot_uniform, he_normal, .*"
        r"Did you mean 'glorot_uniform'\?",
    ):
        initializers.get("glorot_unifrom")


CONFIGURED = [
    initializers.Zeros(),
    initializers.Ones(),
    initializers.Constant(2.5),
    initializers.Constant([[1.0, 2.0]]),
    initializers.RandomNormal(0.5, 0.2, seed=3),
    initializers.RandomUniform(-2, 2, seed=4),
    initializers.TruncatedNormal(stddev=0.3, seed=5),
    initializers.VarianceScaling(2.0, "fan_out", "uniform", seed=6),
    initializers.GlorotUniform(seed=7),
    initializers.GlorotNormal(),
    initializers.HeUniform(8),
    initializers.HeNormal(9),
    initializers.LecunUniform(10),
    initializers.LecunNormal(11),
    initializers.Orthogonal(gain=0.5, seed=12),
    initializers.Identity(gain=2.0),
]


@pytest.mark.parametrize("init", CONFIGURED, ids=lambda i: type(i).__name__)
def test_config_and_json_round_trips(init):
    rebuilt = type(init).from_config(init.get_config())
    assert rebuilt.get_config() == init.get_config()
    text = json.dumps(initializers.serialize(init))
    loaded = initializers.deserialize(json.loads(text))
    assert type(loaded) is type(init) and loaded.get_config() == init.get_config()
    if init.get_config().get("seed") is not None or "seed" not in init.get_config():
        np.testing.assert_array_equal(host(loaded((2, 2))), host(init((2, 2))))
    assert type(initializers.get(json.loads(text))) is type(init)


def test_generator_seed_is_saved_as_none():
    assert initializers.HeNormal(seed=np.random.default_rng(0)).get_config() == {"seed": None}


def test_keras3_dict_with_module_keys_loads():
    config = {
        "module": "keras.initializers",
        "class_name": "GlorotUniform",
        "config": {"seed": 1},
        "registered_name": None,
    }
    assert initializers.deserialize(config).get_config() == {"seed": 1}


def test_malformed_configs_raise():
    with pytest.raises(ValueError, match="must be a dict with a 'class_name'"):
        initializers.deserialize(["GlorotUniform"])
    with pytest.raises(ValueError, match="Unknown initializer 'Glorot'. Accepted names: Constant"):
        initializers.deserialize({"class_name": "Glorot", "config": {}})
    with pytest.raises(ValueError, match="Cannot build initializer 'HeNormal' from config"):
        initializers.deserialize({"class_name": "HeNormal", "config": {"stddev": 1}})
    with pytest.raises(ValueError, match="unexpected keys"):
        initializers.deserialize({"class_name": "HeNormal", "config": {}, "exec": "rm -rf"})
