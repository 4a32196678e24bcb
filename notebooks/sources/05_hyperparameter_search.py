# %% [markdown]
# # 5. Hyperparameter search
#
# Slides *"Recap: Hyperparams"*. A network has many settings that training does not learn: the
# learning rate, the number of filters and units, the batch size... The slides' advice: compare
# models by their **validation loss**, do not try every combination on an exhaustive grid, and
# let a package search for you (Keras Tuner).
#
# `convlens.tuner` has Keras Tuner's interface: a function `build(hp)` makes a model, and each
# `hp.Int`, `hp.Float` or `hp.Choice` call declares a setting and returns the value to try.
# The tuner trains one model per trial and keeps the best.
# %% shared: setup

# %%
import warnings

import matplotlib.pyplot as plt

with warnings.catch_warnings():  # Optuna imports tqdm's notebook bar, which warns (harmlessly)
    warnings.simplefilter("ignore")  # when ipywidgets is not installed
    import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)  # Optuna logs every trial by default

from convlens import layers, models, optimizers, tuner
from convlens.datasets import mnist
# %% shared: show

# %% [markdown]
# ## The data
#
# MNIST again, with a validation set split off the training images: the tuner compares trials
# on it, so the test set stays untouched until the end. A search trains many models, so even
# the full settings use a part of MNIST.

# %%
(x_train, y_train), (x_test, y_test) = mnist.load_data()
TRAIN, TEST, EPOCHS, TRIALS = (600, 300, 1, 3) if SMALL else (12000, 10000, 3, 12)
x_train, y_train = x_train[:TRAIN, ..., None] / 255.0, y_train[:TRAIN]
x_test, y_test = x_test[:TEST, ..., None] / 255.0, y_test[:TEST]
cut = int(0.8 * len(x_train))
x_fit, y_fit, x_val, y_val = x_train[:cut], y_train[:cut], x_train[cut:], y_train[cut:]
print(f"{len(x_fit)} images to train on, {len(x_val)} to validate, {len(x_test)} to test")

# %% [markdown]
# ## The search space
#
# A small CNN whose filters, dense units, dropout and learning rate are hyperparameters. The
# learning rate is drawn on a log scale: 1e-4 to 1e-2 spans two orders of magnitude. With the
# tuner's `seed`, each trial's weights and shuffling are seeded; the Dropout layer gets a seed of
# its own, so that running the search again gives the same scores.

# %%
def build(hp):
    model = models.Sequential([
        layers.Input((28, 28, 1)),
        layers.Conv2D(hp.Int("filters", 4, 32, step=4), 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(hp.Choice("units", [32, 64, 128]), activation="relu"),
        layers.Dropout(hp.Float("dropout", 0.0, 0.5, step=0.1), seed=0),  # seeded: repeatable
        layers.Dense(10, activation="softmax"),
    ])  # fmt: skip
    learning_rate = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")
    model.compile(optimizer=optimizers.Adam(learning_rate), metrics=["accuracy"],
                  loss="sparse_categorical_crossentropy")  # fmt: skip
    return model


search = tuner.RandomSearch(build, objective="val_loss", max_trials=TRIALS, seed=0,
                            directory="tuning", project_name="mnist_cnn", overwrite=True)  # fmt: skip
_ = search.search_space_summary()  # prints the space

# %% [markdown]
# ## The search
#
# Random search draws each trial's values at random (`tuner.BayesianOptimization` would use
# the results so far to choose the next values; `tuner.Hyperband` stops poor trials early).
# Each trial's model is saved; the study lives in an SQLite file, so a search that is
# interrupted resumes where it stopped when run again with `overwrite=False`.

# %%
search.search(x_fit, y_fit, epochs=EPOCHS, batch_size=64, validation_data=(x_val, y_val),
              verbose=0)  # fmt: skip
_ = search.results_summary(num_trials=3)  # prints the best trials

# %% [markdown]
# Each trial's validation loss against its learning rate and number of filters:

# %%
trials = [t for t in search.oracle.trials if t.score is not None]
rates = [t.hyperparameters.values["learning_rate"] for t in trials]
scores = [t.score for t in trials]
figure, axis = plt.subplots(figsize=(7, 4.2))
points = axis.scatter(rates, scores, c=[t.hyperparameters.values["filters"] for t in trials],
                      cmap="viridis", s=80)  # fmt: skip
figure.colorbar(points, ax=axis, label="filters")
for trial, rate, score in zip(trials, rates, scores):
    axis.annotate(f" trial {trial.number}", (rate, score), fontsize=8)
axis.set_xscale("log")
axis.set_xlim(1e-4, 1e-2)  # the range searched
axis.set_xlabel("learning rate")
axis.set_ylabel("validation loss (lower is better)")
axis.set_title(f"{len(trials)} trials of random search")
axis.grid(alpha=0.3)
show(figure)

# %% [markdown]
# In one full run (12 trials, 3 epochs) the learning rate mattered most: the trials below
# 5e-4 had not finished learning after 3 epochs (validation loss 0.16 to 0.44), those near
# 2e-3 reached about 0.10 whatever their filters. That is what a search is for: it shows which
# settings matter, and the next search can narrow their range.

# %% [markdown]
# ## The best model, tested once

# %%
best_hp = search.get_best_hyperparameters(1)[0]
print("best hyperparameters:", best_hp.values)
best_model = search.get_best_models(1)[0]
loss, accuracy = best_model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy {accuracy:.4f} (test loss {loss:.4f}, {len(x_test)} images)")
