# Adapted from: keras.io guides, "The Functional API" (fchollet), Keras 3 version: the
# `keras.utils.plot_model` calls of its introduction and of its multi-input, multi-output
# section (this needs pydot and Graphviz, as Keras does).
# Changed in: the import lines (convlens for keras); the ticket model's two text inputs
# (Embedding + LSTM) are small image inputs with Conv2D, as in the functional_api program.
# A check at the end reads back the files it wrote.
"""
Title: The Functional API: plot_model
"""

import convlens as keras
from convlens import layers

inputs = keras.Input(shape=(784,))
dense = layers.Dense(64, activation="relu")
x = dense(inputs)
x = layers.Dense(64, activation="relu")(x)
outputs = layers.Dense(10)(x)
model = keras.Model(inputs=inputs, outputs=outputs, name="mnist_model")

keras.utils.plot_model(model, "my_first_model.png")

keras.utils.plot_model(model, "my_first_model_with_shape_info.png", show_shapes=True)

num_tags = 12  # Number of unique issue tags
num_departments = 4  # Number of departments for predictions

title_input = keras.Input(shape=(28, 28, 1), name="title")
body_input = keras.Input(shape=(28, 28, 1), name="body")
tags_input = keras.Input(shape=(num_tags,), name="tags")

title_features = layers.Conv2D(8, 3, activation="relu")(title_input)
title_features = layers.GlobalAveragePooling2D()(title_features)
body_features = layers.Conv2D(4, 3, activation="relu")(body_input)
body_features = layers.GlobalMaxPooling2D()(body_features)

x = layers.concatenate([title_features, body_features, tags_input])
priority_pred = layers.Dense(1, name="priority")(x)
department_pred = layers.Dense(num_departments, name="department")(x)

model = keras.Model(
    inputs=[title_input, body_input, tags_input],
    outputs={"priority": priority_pred, "department": department_pred},
)

keras.utils.plot_model(model, "multi_input_and_output_model.png", show_shapes=True)

for name in (
    "my_first_model.png",
    "my_first_model_with_shape_info.png",
    "multi_input_and_output_model.png",
):
    with open(name, "rb") as file:
        assert file.read(8) == b"\x89PNG\r\n\x1a\n", name
