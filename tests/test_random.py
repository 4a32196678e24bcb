"""convlens.random: Keras 3's keras.random names, seeds and SeedGenerator; distributions
checked by their moments and against the real Keras's samples (the numbers differ: NumPy's
generator is not JAX's, so statistics are compared, never values)."""

import numpy as np
import pytest

import convlens as cl
from convlens import random, utils
from keras_oracle import real_keras

COUNT = 200_000


def test_an_int_seed_repeats_and_a_seed_generator_continues():
    np.testing.assert_array_equal(
        random.normal((3, 4), seed=5).numpy(), random.normal((3, 4), seed=5).numpy()
    )
    assert not np.array_equal(
        random.uniform((8,), seed=5).numpy(), random.uniform((8,), seed=6).numpy()
    )
    stream = random.SeedGenerator(9)
    first, second = random.normal((8,), seed=stream), random.normal((8,), seed=stream)
    assert not np.array_equal(first.numpy(), second.numpy())
    again = random.SeedGenerator(9)
    np.testing.assert_array_equal(random.normal((8,), seed=again).numpy(), first.numpy())
    np.testing.assert_array_equal(random.normal((8,), seed=again).numpy(), second.numpy())
    assert random.SeedGenerator.from_config(stream.get_config()).initial_seed == 9


def test_results_are_tensors_of_keras_default_dtypes():
    assert isinstance(random.normal((2,)), cl.Tensor)
    assert random.normal((2,)).dtype == np.float32
    assert random.uniform((2,), dtype="float64").dtype == np.float64
    assert random.randint((2,), 0, 5).dtype == np.int32
    assert random.categorical(np.zeros((2, 3)), 4).shape == (2, 4)


def test_set_random_seed_makes_unseeded_draws_repeat():
    utils.set_random_seed(3)
    first = [
        random.normal((4,)).numpy(),
        random.SeedGenerator().next(),
        random.uniform((2,)).numpy(),
    ]
    utils.set_random_seed(3)
    second = [
        random.normal((4,)).numpy(),
        random.SeedGenerator().next(),
        random.uniform((2,)).numpy(),
    ]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    random.set_global_seed(None)
    assert not np.array_equal(random.normal((4,)).numpy(), random.normal((4,)).numpy())


def _moments(values):
    values = np.asarray(values, dtype=np.float64).ravel()
    return values.mean(), values.std()


@pytest.mark.parametrize(
    "name, args, kwargs",
    [
        ("normal", ((COUNT,),), {"mean": 1.5, "stddev": 2.0}),
        ("uniform", ((COUNT,),), {"minval": -1.0, "maxval": 3.0}),
        ("truncated_normal", ((COUNT,),), {"mean": -1.0, "stddev": 0.5}),
        ("randint", ((COUNT,), 2, 9), {}),
    ],
)
def test_distributions_have_the_moments_of_keras_samples(name, args, kwargs):
    keras = real_keras()
    ours = getattr(random, name)(*args, seed=1, **kwargs).numpy()
    theirs = np.asarray(getattr(keras.random, name)(*args, seed=1, **kwargs))
    (our_mean, our_std), (their_mean, their_std) = _moments(ours), _moments(theirs)
    # Both are means of 200k samples: they agree to a few standard errors.
    standard_error = their_std / np.sqrt(COUNT)
    assert abs(our_mean - their_mean) < 6 * standard_error
    assert abs(our_std - their_std) < 0.01 * their_std
    assert ours.dtype == theirs.dtype


@pytest.mark.parametrize(
    "name, args, mean, variance",
    [
        ("gamma", (2.5,), 2.5, 2.5),
        ("beta", (2.0, 5.0), 2 / 7, 10 / (49 * 8)),
        ("binomial", (10, 0.3), 3.0, 2.1),
    ],
)
def test_gamma_beta_binomial_have_their_textbook_moments(name, args, mean, variance):
    # (JAX compiles its samplers for these slowly, so the oracle is the formula, not Keras.)
    values = getattr(random, name)((COUNT,), *args, seed=1).numpy()
    assert values.dtype == np.float32
    assert abs(values.mean() - mean) < 6 * np.sqrt(variance / COUNT)
    assert abs(values.var() - variance) < 0.02 * variance


def test_truncated_normal_stays_within_two_standard_deviations():
    values = random.truncated_normal((COUNT,), mean=3.0, stddev=0.5, seed=2).numpy()
    assert values.min() >= 2.0 and values.max() <= 4.0


def test_randint_covers_its_half_open_range():
    values = random.randint((COUNT,), -2, 3, seed=4).numpy()
    assert set(np.unique(values)) == {-2, -1, 0, 1, 2}


def test_dropout_zeroes_the_rate_and_scales_the_rest_like_keras():
    keras = real_keras()
    x = np.ones((400, 500), dtype="float32")
    ours = random.dropout(x, 0.3, seed=7).numpy()
    theirs = np.asarray(keras.random.dropout(x, 0.3, seed=7))
    assert abs((ours == 0).mean() - (theirs == 0).mean()) < 0.005
    np.testing.assert_allclose(np.unique(ours), np.unique(theirs), rtol=1e-6)  # {0, 1/0.7}
    np.testing.assert_array_equal(ours, random.dropout(x, 0.3, seed=7).numpy())
    columns = random.dropout(x[:3], 0.5, noise_shape=(1, 500), seed=1).numpy()
    assert (columns == columns[0]).all()


def test_shuffle_permutes_along_an_axis_and_repeats_with_its_seed():
    x = np.arange(24.0).reshape(4, 6)
    rows = random.shuffle(x, seed=3).numpy()
    np.testing.assert_array_equal(np.sort(rows, axis=0), x)
    assert {tuple(r) for r in rows} == {tuple(r) for r in x}
    columns = random.shuffle(x, axis=1, seed=3).numpy()
    np.testing.assert_array_equal(np.sort(columns, axis=1), x)
    np.testing.assert_array_equal(random.shuffle(x, seed=3).numpy(), rows)


def test_categorical_draws_classes_with_softmax_probabilities():
    logits = np.log(np.array([[0.2, 0.5, 0.3], [0.9, 0.05, 0.05]]))
    samples = random.categorical(logits, 50_000, seed=11).numpy()
    assert samples.dtype == np.int32
    for row, probabilities in enumerate(np.exp(logits)):
        frequencies = np.bincount(samples[row], minlength=3) / samples.shape[1]
        np.testing.assert_allclose(frequencies, probabilities, atol=0.01)


@pytest.mark.parametrize("seed", ["abc", -1, True, 1.5])
def test_bad_seeds_are_named(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        random.normal((2,), seed=seed)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"maxval \(1\) must exceed minval \(1\)"):
        random.randint((2,), 1, 1)
    with pytest.raises(ValueError, match="dtype must be an integer type"):
        random.randint((2,), 0, 4, dtype="float32")
    with pytest.raises(ValueError, match="logits must be 2-D"):
        random.categorical(np.zeros(3), 2)
