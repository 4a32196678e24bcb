"""Keras 3's model and layer contract, as users' own code relies on it (issue 12, items 1-5, 8).

Each behaviour is written from Keras 3's documentation; where it yields numbers, the same
program runs on the real Keras 3 (JAX backend, ``keras_oracle``) with the same weights and the
results must agree.
"""

from __future__ import annotations

import numpy as np
import pytest

import convlens as cl
from convlens import callbacks, layers, models, ops
from keras_oracle import real_keras


# ----- custom layers and models, written once for both libraries -----
def make_classes(lib):
    """The keras.io subclassing guide's classes, on ``lib`` (convlens or the real keras)."""

    class Linear(lib.layers.Layer):
        def __init__(self, units=4, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(
                shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True
            )
            self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

        def call(self, inputs):
            return lib.ops.matmul(inputs, self.w) + self.b

    class ActivityPenalty(lib.layers.Layer):
        def __init__(self, rate=1e-2, **kwargs):
            super().__init__(**kwargs)
            self.rate = rate

        def call(self, inputs):
            self.add_loss(self.rate * lib.ops.sum(inputs * inputs))
            return inputs

    class Block(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.first = Linear(6)
            self.second = Linear(3)
            self.penalty = ActivityPenalty()

        def call(self, inputs):
            return self.penalty(self.second(lib.ops.relu(self.first(inputs))))

    class Classifier(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.block = Block()
            self.head = lib.layers.Dense(2, activation="softmax")

        def call(self, inputs, training=False):
            return self.head(self.block(inputs))

    return Linear, ActivityPenalty, Block, Classifier


def test_top_level_names_are_keras_3s():
    for name in ("Sequential", "Model", "Input", "Layer", "Loss", "Metric", "Optimizer"):
        assert hasattr(cl, name), name
    assert cl.Sequential is models.Sequential and cl.Layer is layers.Layer
    assert cl.config.floatx() == "float32" and cl.config.image_data_format() == "channels_last"


def test_add_weight_takes_keras_3s_signature():
    layer = layers.Layer(name="holder")
    unnamed = layer.add_weight(shape=(2, 3))
    positional = layer.add_weight((4,), "ones")
    legacy = layer.add_weight("kernel", (1,), initializer="zeros")
    assert unnamed.name == "holder/variable" and positional.name == "holder/variable_1"
    assert legacy.name == "holder/kernel"
    assert positional.numpy().tolist() == [1.0, 1.0, 1.0, 1.0]
    assert unnamed.dtype == np.float32 and unnamed.shape == (2, 3)
    scalar = layer.add_weight(shape=(), initializer="zeros", trainable=False)
    assert scalar.shape == () and scalar not in layer.trainable_weights
    with pytest.raises(TypeError, match="at most 3 positional"):
        layer.add_weight((1,), "zeros", "float32", True)


def test_sublayers_are_tracked_in_keras_order():
    keras = real_keras()
    mine = make_classes(cl)[3]()
    theirs = make_classes(keras)[3]()
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    mine(x)
    theirs(x)
    assert [w.shape for w in mine.weights] == [tuple(w.shape) for w in theirs.weights]
    assert len(mine.trainable_weights) == len(theirs.trainable_weights) == 6
    assert [type(layer).__name__ for layer in mine.layers] == ["Block", "Dense"]
    mine.block.trainable = False  # freezing a layer freezes its sublayers, as Keras
    assert len(mine.trainable_weights) == 2 and not mine.block.first.trainable


def test_subclassed_model_matches_keras_with_the_same_weights():
    keras = real_keras()
    mine = make_classes(cl)[3]()
    theirs = make_classes(keras)[3]()
    x = np.random.default_rng(1).normal(size=(8, 4)).astype("float32")
    y = np.array([0, 1] * 4)
    theirs(x)
    mine(x)
    mine.set_weights(theirs.get_weights())
    np.testing.assert_allclose(mine.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5)
    for model in (mine, theirs):
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    # The added loss (block.penalty) counts in the loss, once per step, in both libraries.
    mine_loss = mine.evaluate(x, y, verbose=0)
    theirs_loss = theirs.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(mine_loss, theirs_loss, rtol=1e-5)
    mine(x)
    theirs(x)
    assert len(mine.losses) == len(theirs.losses) == 1
    np.testing.assert_allclose(float(mine.losses[0].numpy()), float(theirs.losses[0]), rtol=1e-5)
    mine.train_on_batch(x, y)
    theirs.train_on_batch(x, y)
    for a, b in zip(mine.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_subclassed_model_builds_fits_saves_weights_and_summarises(tmp_path, capsys):
    model = make_classes(cl)[3]()
    with pytest.raises(ValueError, match="not built"):
        model.summary()
    model.build((None, 4))
    assert len(model.weights) == 6 and model.output_shape == (None, 2)
    model.summary(show_trainable=True)
    text = capsys.readouterr().out
    assert " (Block)" in text and "Trainable" in text and "Total params: 59" in text
    x = np.random.default_rng(2).normal(size=(32, 4))
    y = (x[:, 0] > 0).astype(int)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, seed=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    path = tmp_path / "sub.weights.npz"
    model.save_weights(path)
    copy = make_classes(cl)[3]()
    copy.build((None, 4))
    copy.load_weights(path)
    np.testing.assert_array_equal(copy.predict(x, verbose=0), model.predict(x, verbose=0))


def test_training_flag_reaches_only_calls_that_accept_it_and_is_inherited():
    seen = []

    class Records(layers.Layer):
        def call(self, inputs, training=None):
            seen.append(training)
            return inputs

    class NoFlag(layers.Layer):
        def call(self, inputs):  # no training argument: never given one
            return inputs * 1.0

    class Net(models.Model):
        def __init__(self):
            super().__init__()
            self.records, self.plain, self.out = Records(), NoFlag(), layers.Dense(1)

        def call(self, inputs):
            return self.out(self.plain(self.records(inputs)))

    net = Net()
    x, y = np.ones((4, 3)), np.zeros((4, 1))
    net.compile(optimizer="sgd", loss="mse")
    net.fit(x, y, epochs=1, batch_size=4, verbose=0)
    net.predict(x, verbose=0)
    net(x, training=True)
    assert seen[-3:] == [True, False, True]
    with pytest.raises(TypeError):
        NoFlag()(x, unexpected=1)


def test_dropout_in_a_subclassed_model_trains_only_in_fit():
    class Net(models.Model):
        def __init__(self):
            super().__init__()
            self.drop = layers.Dropout(0.99, seed=0)

        def call(self, inputs):
            return self.drop(inputs)

    net = Net()
    x = np.ones((2, 1000), dtype="float32")
    np.testing.assert_array_equal(net.predict(x, verbose=0), x)
    trained = net(x, training=True).numpy()
    assert (trained == 0).mean() > 0.9


def test_compile_without_loss_uses_added_losses_only():
    _, penalty, _, _ = make_classes(cl)
    inputs = layers.Input((3,))
    outputs = penalty(rate=1.0)(layers.Dense(2, kernel_initializer="ones")(inputs))
    model = models.Model(inputs, outputs)
    model.compile(optimizer="sgd")
    x = np.ones((4, 3))
    first = model.fit(x, epochs=1, verbose=0).history["loss"][0]
    np.testing.assert_allclose(first, 4 * 2 * 9.0, rtol=1e-6)  # sum of squares of (4, 2) 3s
    bare = models.Sequential([layers.Input((3,)), layers.Dense(1)])
    bare.compile(optimizer="sgd")
    with pytest.raises(ValueError, match="no loss to minimise"):
        bare.fit(x, np.zeros((4, 1)), verbose=0)


def test_output_shape_is_traced_for_layers_that_do_not_say_it():
    linear = make_classes(cl)[0]
    assert linear(5)(layers.Input((7, 3))).shape == (None, 7, 5)
    assert linear(5)(layers.Input((None, 3))).shape == (None, None, 5)

    class Pairs(layers.Layer):
        def call(self, inputs):
            return [inputs, ops.sum(inputs, axis=-1)]

    first, second = Pairs()(layers.Input((4, 2)))
    assert first.shape == (None, 4, 2) and second.shape == (None, 4)


def test_feature_extraction_from_layer_outputs_matches_keras():
    keras = real_keras()

    def lenet(lib):
        return lib.Sequential(
            [
                lib.Input((12, 12, 1)),
                lib.layers.Conv2D(3, 3, activation="relu"),
                lib.layers.MaxPooling2D(),
                lib.layers.Flatten(),
                lib.layers.Dense(4),
            ]
        )

    mine, theirs = lenet(cl), lenet(keras)
    mine.set_weights(theirs.get_weights())
    mine_fx = models.Model(inputs=mine.inputs, outputs=[l.output for l in mine.layers])
    theirs_fx = keras.Model(inputs=theirs.inputs, outputs=[l.output for l in theirs.layers])
    x = np.random.default_rng(3).normal(size=(2, 12, 12, 1)).astype("float32")
    for a, b in zip(mine_fx.predict(x, verbose=0), theirs_fx.predict(x, verbose=0)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert mine.layers[1].input.shape == (None, 10, 10, 3)
    assert mine.layers[0].output.shape == tuple(theirs.layers[0].output.shape)
    assert mine.input.shape == (None, 12, 12, 1) and mine.output.shape == (None, 4)
    with pytest.raises(AttributeError, match="never been called"):
        _ = layers.Dense(2).output


def test_float64_inputs_are_computed_in_floatx():
    model = models.Sequential([layers.Input((4,)), layers.Dense(3)])
    x = np.random.default_rng(4).normal(size=(5, 4))  # float64, as x / 255.0 gives
    assert model.predict(x, verbose=0).dtype == np.float32
    assert model(x).dtype == np.float32
    assert layers.Dense(2)(x).dtype == np.float32
    cl.config.set_floatx("float64")
    try:
        wide = models.Sequential([layers.Input((4,)), layers.Dense(3)])
        assert wide.weights[0].dtype == np.float64
        assert wide.predict(x, verbose=0).dtype == np.float64
    finally:
        cl.config.set_floatx("float32")
    with pytest.raises(ValueError, match="set_floatx"):
        cl.config.set_floatx("int8")


def test_a_float64_layer_keeps_float64():
    layer = layers.Dense(2, dtype="float64")
    assert layer(np.ones((1, 3), dtype="float32")).dtype == np.float64


def multi_output_model(lib):
    a = lib.Input((4,), name="title")
    b = lib.Input((3,), name="body")
    hidden = lib.layers.Concatenate()([a, b])
    priority = lib.layers.Dense(1, name="priority")(hidden)
    department = lib.layers.Dense(3, activation="softmax", name="department")(hidden)
    return lib.Model(inputs=[a, b], outputs=[priority, department])


def test_multi_output_losses_weights_and_logs_match_keras():
    keras = real_keras()
    mine, theirs = multi_output_model(cl), multi_output_model(keras)
    mine.set_weights(theirs.get_weights())
    rng = np.random.default_rng(5)
    x = {"title": rng.normal(size=(16, 4)), "body": rng.normal(size=(16, 3))}
    y = {"priority": rng.normal(size=(16, 1)), "department": rng.integers(0, 3, 16)}
    for model in (mine, theirs):
        model.compile(
            optimizer="sgd",
            loss={"priority": "mse", "department": "sparse_categorical_crossentropy"},
            loss_weights={"priority": 1.0, "department": 0.2},
            metrics={"department": ["accuracy"]},
        )
    mine_logs = mine.evaluate(x, y, verbose=0, return_dict=True)
    theirs_logs = theirs.evaluate(x, y, verbose=0, return_dict=True)
    assert set(mine_logs) == set(theirs_logs)
    for key, value in theirs_logs.items():
        np.testing.assert_allclose(mine_logs[key], value, rtol=1e-5, err_msg=key)
    history = mine.fit([x["title"], x["body"]], [y["priority"], y["department"]], verbose=0)
    assert {"loss", "priority_loss", "department_loss"} <= set(history.history)
    outputs = mine.predict(x, verbose=0)
    assert [o.shape for o in outputs] == [(16, 1), (16, 3)]
    with pytest.raises(ValueError, match="not outputs of the model"):
        mine.compile(loss={"prio": "mse"})
        mine.fit(x, y, verbose=0)


def test_call_arguments_are_kept_on_the_graph_node():
    base = models.Sequential([layers.Input((3,)), layers.BatchNormalization()])
    inputs = layers.Input((3,))
    outputs = layers.Dense(1)(base(inputs, training=False))
    model = models.Model(inputs, outputs)
    before = [w.copy() for w in base.get_weights()[2:]]  # moving mean and variance
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.random.default_rng(6).normal(5, 2, size=(32, 3)), np.zeros((32, 1)), verbose=0)
    # training=False on the base: its moving statistics never move, as in the fine-tuning guide
    for a, b in zip(before, base.get_weights()[2:]):
        np.testing.assert_array_equal(a, b)


def test_begin_hooks_receive_a_dict_and_old_batch_hooks_fire():
    events = []

    class Spy(callbacks.Callback):
        def on_train_begin(self, logs=None):
            events.append(("train_begin", logs))

        def on_epoch_begin(self, epoch, logs=None):
            events.append(("epoch_begin", logs))

        def on_batch_end(self, batch, logs=None):
            events.append(("batch_end", sorted(logs)))

    model = models.Sequential([layers.Input((2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), batch_size=2, verbose=0, callbacks=[Spy()])
    assert events[0] == ("train_begin", {}) and events[1] == ("epoch_begin", {})
    assert events[2:] == [("batch_end", ["loss"])] * 2


def test_arithmetic_on_symbolic_tensors_records_ops_like_keras():
    keras = real_keras()

    def build(lib):
        inputs = lib.Input((4,))
        scaled = inputs / 255.0 + 1.0
        hidden = lib.layers.Dense(3)(scaled)
        outputs = (hidden * hidden)[:, :2] - inputs[:, 1:3] * 2.0
        return lib.Model(inputs, -outputs)

    mine, theirs = build(cl), build(keras)
    mine.set_weights(theirs.get_weights())
    x = np.random.default_rng(7).uniform(0, 255, size=(3, 4)).astype("float32")
    np.testing.assert_allclose(mine.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5)
    assert mine.output_shape == tuple(theirs.output_shape)
    again = models.Model.from_config(mine.get_config())  # ops are saved by name, not as code
    again.set_weights(mine.get_weights())
    np.testing.assert_array_equal(again.predict(x, verbose=0), mine.predict(x, verbose=0))
    with pytest.raises(ValueError, match="public function of convlens.ops"):
        layers.Operation("__import__", ["os"])


def test_keras_backend_helpers():
    from convlens import backend

    layers.Dense(1, name=None)
    backend.clear_session()
    assert layers.Dense(1).name == "dense" and layers.Dense(1).name == "dense_1"
    assert backend.epsilon() == 1e-7 and backend.floatx() == "float32"
    assert backend.image_data_format() == "channels_last"
    assert backend.is_keras_tensor(layers.Input((2,))) and not backend.is_keras_tensor(1.0)


def test_a_layer_called_on_several_symbolic_arguments_matches_keras():
    """The training guide's LogisticEndpoint: call(targets, logits), add_loss, no compiled loss."""
    keras = real_keras()

    def build(lib):
        class LogisticEndpoint(lib.layers.Layer):
            def __init__(self, name=None):
                super().__init__(name=name)
                self.loss_fn = lib.losses.BinaryCrossentropy(from_logits=True)

            def call(self, targets, logits, sample_weights=None):
                self.add_loss(self.loss_fn(targets, logits, sample_weights))
                return lib.ops.softmax(logits)

        inputs = lib.Input(shape=(3,), name="inputs")
        targets = lib.Input(shape=(10,), name="targets")
        logits = lib.layers.Dense(10)(inputs)
        predictions = LogisticEndpoint(name="predictions")(targets, logits)
        model = lib.Model(inputs=[inputs, targets], outputs=predictions)
        model.compile(optimizer="sgd")
        return model

    mine, theirs = build(cl), build(keras)
    mine.set_weights(theirs.get_weights())
    rng = np.random.default_rng(8)
    data = {"inputs": rng.random((6, 3)), "targets": rng.random((6, 10))}
    mine_loss = mine.evaluate(data, verbose=0)
    theirs_loss = theirs.evaluate(data, verbose=0)
    np.testing.assert_allclose(mine_loss, theirs_loss, rtol=1e-5)
    assert mine.fit(data, verbose=0).history["loss"][0] > 0


def test_optimizer_learning_rate_and_iterations_answer_like_keras_variables():
    keras = real_keras()
    mine, theirs = cl.optimizers.SGD(0.1), keras.optimizers.SGD(0.1)
    for optimizer in (mine, theirs):
        optimizer.learning_rate.assign(0.05)
    assert float(mine.learning_rate) == pytest.approx(float(theirs.learning_rate))
    assert mine.learning_rate.numpy() == pytest.approx(theirs.learning_rate.numpy())
    assert int(mine.iterations) == int(theirs.iterations.numpy()) == 0
    mine.learning_rate = 0.01  # the callbacks guide's way
    assert float(mine.learning_rate) == 0.01


def test_ops_on_symbolic_tensors_and_custom_activations_save_by_name(tmp_path):
    keras = real_keras()

    def build(lib):
        inputs = lib.Input((6, 6, 2))
        resized = lib.ops.image.resize(inputs, (3, 3))
        pooled = lib.ops.mean(resized, axis=[1, 2])
        joined = lib.ops.concatenate([pooled, lib.ops.square(pooled)], axis=-1)
        return lib.Model(inputs, lib.layers.Dense(2)(joined))

    mine, theirs = build(cl), build(keras)
    mine.set_weights(theirs.get_weights())
    x = np.random.default_rng(9).normal(size=(2, 6, 6, 2)).astype("float32")
    np.testing.assert_allclose(mine.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5)

    @cl.saving.register_keras_serializable(package="tests")
    def shifted_relu(x):
        return ops.relu(x - 0.5)

    model = models.Sequential([layers.Input((3,)), layers.Dense(2, activation=shifted_relu)])
    model.save(tmp_path / "custom.keras")
    loaded = cl.saving.load_model(tmp_path / "custom.keras")
    assert loaded.layers[0].activation is shifted_relu


def test_serialize_keras_object_matches_keras_and_reads_back():
    keras = real_keras()
    for make in (lambda lib: lib.regularizers.L1(0.005), lambda lib: lib.initializers.HeNormal(3)):
        mine = cl.saving.serialize_keras_object(make(cl))
        theirs = keras.saving.serialize_keras_object(make(keras))
        assert {k: mine[k] for k in ("module", "class_name", "registered_name")} == {
            k: theirs[k] for k in ("module", "class_name", "registered_name")
        }
        again = cl.saving.deserialize_keras_object(theirs)
        assert type(again).__name__ == theirs["class_name"]
        assert again.get_config() == pytest.approx(make(cl).get_config())  # Keras: float32
    assert cl.regularizers.l2(1e-3).get_config() == {"l2": 1e-3}


def test_from_config_takes_custom_objects_and_nothing_trainable_still_fits():
    class Doubling(layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

    inputs = layers.Input((3,))
    model = models.Model(inputs, Doubling(name="doubling")(inputs))
    config = model.get_config()
    with pytest.raises(ValueError):
        models.Model.from_config(config)
    again = models.Model.from_config(config, custom_objects={"Doubling": Doubling})
    np.testing.assert_array_equal(again.predict(np.ones((1, 3)), verbose=0), [[2.0, 2.0, 2.0]])
    again.compile(optimizer="adam", loss="mse")
    history = again.fit(np.ones((2, 3)), np.ones((2, 3)), verbose=0)
    assert history.history["loss"] == [pytest.approx(1.0)]
    assert np.isnan(ops.mean(np.zeros((1, 0))).numpy())  # as NumPy and Keras: NaN, no error


def test_summary_expands_nested_models_and_shows_trainable(capsys):
    base = models.Sequential(
        [layers.Input((8, 8, 1)), layers.Conv2D(2, 3), layers.GlobalAveragePooling2D()],
        name="frozen_base",
    )
    base.trainable = False
    inputs = layers.Input((8, 8, 1))
    model = models.Model(inputs, layers.Dense(1)(base(inputs, training=False)))
    model.summary(expand_nested=True, show_trainable=True)
    lines = capsys.readouterr().out.splitlines()
    nested = [line for line in lines if line.startswith("  ")]
    assert len(nested) == 2 and "(Conv2D)" in nested[0] and nested[0].rstrip().endswith("N")
    assert any("frozen_base (Sequential)" in line and line.rstrip().endswith("N") for line in lines)
    assert "Trainable params: 3" in "\n".join(lines)
    model.summary()
    assert not [line for line in capsys.readouterr().out.splitlines() if line.startswith("  ")]


def test_without_a_training_flag_each_layer_takes_its_own_default():
    """Keras's rule: model(x) with no training lets each call's default decide (the random
    augmentations default to True, Dropout to False); fit, predict and explicit flags win."""
    flip = layers.RandomFlip("horizontal", seed=0)
    model = models.Sequential([layers.Input((1, 2, 1)), flip, layers.Dropout(0.9, seed=0)])
    x = np.array([[[[1.0], [2.0]]]], dtype="float32")
    outputs = {tuple(model(x).numpy().ravel()) for _ in range(20)}
    assert outputs == {(1.0, 2.0), (2.0, 1.0)}  # flipped or not, never dropped
    assert {tuple(model.predict(x, verbose=0).ravel()) for _ in range(5)} == {(1.0, 2.0)}
    assert {tuple(model(x, training=False).numpy().ravel()) for _ in range(5)} == {(1.0, 2.0)}


def test_layers_appended_to_a_list_attribute_are_tracked():
    class Stack(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.blocks = []
            for units in (4, 3):
                self.blocks.append(layers.Dense(units))
            self.by_name = {"head": layers.Dense(2)}
            self.sizes = (4, 3)  # not a layer container: never scanned

        def call(self, inputs):
            for block in self.blocks:
                inputs = block(inputs)
            return self.by_name["head"](inputs)

    stack = Stack()
    stack(np.ones((1, 5)))
    assert [w.shape for w in stack.weights] == [(5, 4), (4,), (4, 3), (3,), (3, 2), (2,)]
    assert stack.__dict__["_layer_attributes"] == ["blocks", "by_name"]
