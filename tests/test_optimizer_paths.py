"""The recap's optimizer picture: our optimizers' paths on a saddle and a double well.

The oracle is written out here by hand: the surfaces' gradients from calculus (not autograd)
and the four update rules as Keras 3 states them, three steps each.
"""

import numpy as np
import pytest

from convlens.lecture import optimizer_paths as op
from convlens.optimizers import SGD, Adam, RMSprop


def saddle_gradient(x, y):  # f = x² − y²
    return np.array([2 * x, -2 * y])


def double_well_gradient(x, y):  # f = (x² − 1)² + 0.3x + y²
    return np.array([4 * x * (x**2 - 1) + 0.3, 2 * y])


GRADIENTS = {"saddle": saddle_gradient, "local-minimum": double_well_gradient}


def by_hand(rule, surface, steps=3):
    """The path of ``rule(w, g, t, state) -> new w`` with the calculus gradient."""
    w, state = np.array(op.SURFACES[surface].start, float), {}
    points = [w]
    for t in range(1, steps + 1):
        w = rule(w, GRADIENTS[surface](*w), t, state)
        points.append(w)
    return np.stack(points)


def sgd(lr):
    return lambda w, g, t, s: w - lr * g


def momentum(lr, mu=0.9):
    def step(w, g, t, s):
        s["v"] = mu * s.get("v", 0.0) - lr * g  # v ← μv − ηg
        return w + s["v"]

    return step


def rmsprop(lr, rho=0.9, eps=1e-7):
    def step(w, g, t, s):
        s["ms"] = rho * s.get("ms", 0.0) + (1 - rho) * g**2  # E[g²]
        return w - lr * g / np.sqrt(s["ms"] + eps)

    return step


def adam(lr, b1=0.9, b2=0.999, eps=1e-7):
    def step(w, g, t, s):
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g**2
        alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)  # the bias corrections, folded in
        return w - alpha * s["m"] / (np.sqrt(s["v"]) + eps)

    return step


@pytest.mark.parametrize("surface", ["saddle", "local-minimum"])
@pytest.mark.parametrize(
    "ours, rule",
    [
        (lambda: SGD(learning_rate=0.1), sgd(0.1)),
        (lambda: SGD(learning_rate=0.05, momentum=0.9), momentum(0.05)),
        (lambda: RMSprop(learning_rate=0.02), rmsprop(0.02)),
        (lambda: Adam(learning_rate=0.03), adam(0.03)),
    ],
    ids=["sgd", "momentum", "rmsprop", "adam"],
)
def test_three_steps_follow_the_update_rule_written_by_hand(surface, ours, rule):
    got = op.paths({"it": ours()}, surface, steps=3)["it"]
    assert got.shape == (4, 2)
    np.testing.assert_allclose(got, by_hand(rule, surface), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("surface", ["saddle", "local-minimum"])
def test_the_autograd_gradient_is_the_calculus_one(surface):
    for point in np.random.default_rng(0).uniform(-1.5, 1.5, (5, 2)):
        np.testing.assert_allclose(op.gradient(surface, point), GRADIENTS[surface](*point))


def test_momentum_and_adam_escape_the_saddle_further_than_sgd():
    steps = op.SURFACES["saddle"].steps
    distances = {
        label: op.distance_from(points[-1], (0.0, 0.0))
        for label, points in op.paths(None, "saddle", steps).items()
    }
    assert distances["SGD + momentum 0.9"] > distances["SGD"]
    assert distances["Adam"] > distances["SGD"]
    assert distances["RMSprop"] > distances["SGD"]
    # the lecture's point: along y the gradient is tiny near the ridge, so SGD lingers there
    sgd_path = op.paths({"SGD": SGD(0.02)}, "saddle", steps)["SGD"]
    assert abs(sgd_path[-1, 1]) < 0.5 < abs(op.paths(None, "saddle", steps)["Adam"][-1, 1])


def test_on_the_double_well_momentum_crosses_to_the_global_minimum_and_sgd_does_not():
    ends = {label: p[-1] for label, p in op.paths(None, "local-minimum").items()}
    f = op.SURFACES["local-minimum"]
    assert ends["SGD"][0] > 0.5  # the local minimum, on the side it started
    assert ends["SGD + momentum 0.9"][0] < -0.5  # over the ridge
    assert f(*ends["SGD + momentum 0.9"]) < f(*ends["SGD"])


def test_bad_arguments_say_what_is_accepted():
    with pytest.raises(ValueError, match="Unknown surface 'bowl'; accepted: saddle, local-minimum"):
        op.paths(None, "bowl", 3)
    with pytest.raises(ValueError, match="steps must be an int >= 0, received -1"):
        op.paths(None, "saddle", -1)


def test_show_optimizers_writes_the_picture_and_the_animation(tmp_path, capsys):
    from cli_helpers import assert_one_line_error, run_main

    pil = pytest.importorskip("PIL.Image")
    png_path, gif_path = tmp_path / "opt.png", tmp_path / "opt.gif"
    args = ["show", "optimizers", "-o", png_path, "--surface", "saddle", "--steps", 5, "--gif"]
    code, out, err = run_main(capsys, *args)
    assert code == 0, err
    assert out.strip() == f"wrote {png_path}, {gif_path}"
    with pil.open(png_path) as png:
        assert png.width >= 700 and png.height >= 600
    with pil.open(gif_path) as gif:
        assert gif.n_frames == 6  # the start, then one frame per step
    code, _, err = run_main(capsys, "show", "optimizers", "somewhere", "-o", tmp_path / "x.png")
    assert_one_line_error(code, err, "takes no RUN or IMAGE")
