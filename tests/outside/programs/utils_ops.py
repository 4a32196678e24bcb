# Adapted from: keras.io guides, "Introduction to Keras for engineers" (fchollet), Keras 3
# version: its convnet with ModelCheckpoint and EarlyStopping, and its cross-framework custom
# components written with `keras.ops` and `keras.random` (MyDense, MyDropout); and the usage
# examples of the keras.io API reference for `keras.utils.set_random_seed`,
# `keras.utils.to_categorical`, `keras.utils.normalize`, `keras.config.floatx` /
# `image_data_format`, `keras.random.*` and `keras.ops.*`.
# Changed in: the import line (convlens for keras; the guide sets KERAS_BACKEND before its
# import, the harness does that); the data size (1,000 MNIST images, 2 epochs instead of 20, and
# convolutions of 16/32 filters instead of 64/128 to run in seconds on two CPU cores).
"""
Title: Introduction to Keras for engineers (+ utils, config, random, ops)
"""

import numpy as np

import convlens as keras

# Reproducibility and configuration
keras.utils.set_random_seed(812)
print(keras.config.floatx())
print(keras.config.image_data_format())
print(keras.config.epsilon())

# Utilities from the API reference
a = keras.utils.to_categorical([0, 1, 2, 3], num_classes=4)
print(a)
b = np.array(
    [0.9, 0.04, 0.03, 0.03, 0.3, 0.45, 0.15, 0.13, 0.04, 0.01, 0.94, 0.05, 0.12, 0.21, 0.5, 0.17]
).reshape(4, 4)
loss = keras.ops.categorical_crossentropy(a, b)
print(np.asarray(loss))
print(keras.utils.normalize(np.array([[3.0, 4.0], [1.0, 0.0]]), axis=-1, order=2))

# keras.random with a SeedGenerator
seed_gen = keras.random.SeedGenerator(seed=42)
values = keras.random.normal(shape=(2, 3), seed=seed_gen)
new_values = keras.random.normal(shape=(2, 3), seed=seed_gen)
print(keras.ops.shape(values), keras.ops.convert_to_numpy(new_values).dtype)
print(keras.random.uniform(shape=(2,), minval=0.0, maxval=1.0, seed=1))
print(keras.random.randint(shape=(3,), minval=0, maxval=10, seed=2))
print(keras.random.shuffle(keras.ops.arange(6), seed=3))

# keras.ops as NumPy-like functions
x = keras.ops.convert_to_tensor(np.arange(12, dtype="float32").reshape(3, 4))
print(keras.ops.sum(x, axis=0), keras.ops.max(x), keras.ops.argmax(x, axis=1))
print(keras.ops.transpose(x).shape, keras.ops.reshape(x, (4, 3)).shape)
print(keras.ops.where(keras.ops.greater(x, 5.0), x, keras.ops.zeros_like(x)))
print(keras.ops.concatenate([x, x], axis=0).shape, keras.ops.stack([x, x]).shape)
print(keras.ops.softmax(x, axis=-1)[0])
print(keras.ops.one_hot(keras.ops.convert_to_tensor([1, 0, 3]), 4))
print(keras.ops.image.resize(np.ones((1, 8, 8, 3), "float32"), size=(4, 4)).shape)

# Data loading
# Load the data and split it between train and test sets
(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train, y_train = x_train[:1000], y_train[:1000]  # data size: adapted
x_test, y_test = x_test[:200], y_test[:200]  # data size: adapted

# Scale images to the [0, 1] range
x_train = x_train.astype("float32") / 255
x_test = x_test.astype("float32") / 255
# Make sure images have shape (28, 28, 1)
x_train = np.expand_dims(x_train, -1)
x_test = np.expand_dims(x_test, -1)
print("x_train shape:", x_train.shape)
print("y_train shape:", y_train.shape)
print(x_train.shape[0], "train samples")
print(x_test.shape[0], "test samples")

# Model parameters
num_classes = 10
input_shape = (28, 28, 1)

model = keras.Sequential(
    [
        keras.layers.Input(shape=input_shape),
        keras.layers.Conv2D(16, kernel_size=(3, 3), activation="relu"),
        keras.layers.Conv2D(16, kernel_size=(3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(num_classes, activation="softmax"),
    ]
)

model.summary()

model.compile(
    loss=keras.losses.SparseCategoricalCrossentropy(),
    optimizer=keras.optimizers.Adam(learning_rate=1e-3),
    metrics=[
        keras.metrics.SparseCategoricalAccuracy(name="acc"),
    ],
)

batch_size = 128
epochs = 2  # 20 in the guide

callbacks = [
    keras.callbacks.ModelCheckpoint(filepath="model_at_epoch_{epoch}.keras"),
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=2),
]

model.fit(
    x_train,
    y_train,
    batch_size=batch_size,
    epochs=epochs,
    validation_split=0.15,
    callbacks=callbacks,
)
score = model.evaluate(x_test, y_test, verbose=0)

model.save("final_model.keras")

model = keras.saving.load_model("final_model.keras")

predictions = model.predict(x_test)


# Writing cross-framework custom components
class MyDense(keras.layers.Layer):
    def __init__(self, units, activation=None, name=None):
        super().__init__(name=name)
        self.units = units
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.w = self.add_weight(
            shape=(input_dim, self.units),
            initializer=keras.initializers.GlorotNormal(),
            name="kernel",
            trainable=True,
        )

        self.b = self.add_weight(
            shape=(self.units,),
            initializer=keras.initializers.Zeros(),
            name="bias",
            trainable=True,
        )

    def call(self, inputs):
        # Use Keras ops to create backend-agnostic layers/metrics/etc.
        x = keras.ops.matmul(inputs, self.w) + self.b
        return self.activation(x)


class MyDropout(keras.layers.Layer):
    def __init__(self, rate, name=None):
        super().__init__(name=name)
        self.rate = rate
        # Use seed_generator for managing RNG state.
        # It is a state element and its seed variable is
        # tracked as part of `layer.variables`.
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        # Use `keras.random` for random ops.
        return keras.random.dropout(inputs, self.rate, seed=self.seed_generator)


model = keras.Sequential(
    [
        keras.layers.Input(shape=input_shape),
        keras.layers.Conv2D(16, kernel_size=(3, 3), activation="relu"),
        keras.layers.Conv2D(16, kernel_size=(3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        MyDropout(0.5),
        MyDense(num_classes, activation="softmax"),
    ]
)
model.summary()

model.compile(
    loss=keras.losses.SparseCategoricalCrossentropy(),
    optimizer=keras.optimizers.Adam(learning_rate=1e-3),
    metrics=[
        keras.metrics.SparseCategoricalAccuracy(name="acc"),
    ],
)
model.fit(
    x_train,
    y_train,
    batch_size=batch_size,
    epochs=1,  # Just do 1 epoch for demo, the rest is the same.
    validation_split=0.15,
)
