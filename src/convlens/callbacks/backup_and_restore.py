"""BackupAndRestore: resume an interrupted ``fit`` where it stopped, exactly (Keras 3).

At each epoch end the training state goes to one file, ``<backup_dir>/latest.convlens``,
written to a temporary file and renamed, so a crash at any moment leaves either the previous
backup or the new one, never a mixture. The file is a zip, as a model file:

* ``weights.npz`` — the model's weights (:func:`convlens.saving.load_weights` reads it);
* ``optimizer.npz`` — the optimizer's slots, ``iterations`` and learning rate;
* ``training_state.json`` — the number of finished epochs and the state of every layer's
  random generator (Dropout's), so the resumed epochs draw the same masks.

With ``fit(..., seed=s)`` each epoch's shuffle depends only on ``(s, epoch)``, so a run that
is killed and started again with the same arguments ends with the same weights, bit for bit,
as one that was never interrupted.
"""

from __future__ import annotations

import json
import os
import zipfile

from .. import saving
from .callback import Callback

_STATE = "training_state.json"


class BackupAndRestore(Callback):
    """Back up the training state every epoch; restore it when ``fit`` starts again.

    When ``fit`` begins and a backup exists, the model's weights, the optimizer's state and
    the layers' random generators are restored, and ``fit`` continues from the epoch after
    the last one backed up (the callback sets ``model._initial_epoch``, as Keras 3's; ``fit``
    reads it after ``on_train_begin``). When training completes, the backup is deleted.

    Args:
        backup_dir: the folder of the backup; use it for nothing else.
        save_freq: ``"epoch"``, or an int: back up every that many batches. A run restored
            from a mid-epoch backup restarts that epoch from its first batch, with the
            weights of the backup (as Keras), so only epoch backups resume exactly.
        delete_checkpoint: delete the backup when training ends normally.

    Raises:
        ValueError: for an empty ``backup_dir`` or an invalid ``save_freq``; when ``fit``
            starts, for a model that is not built yet.

    Example:
        >>> import tempfile
        >>> callback = BackupAndRestore(backup_dir=tempfile.mkdtemp())
        >>> callback.save_freq
        'epoch'
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint: bool = True):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore: backup_dir is empty; give a folder, e.g. 'backup'.")
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1
        ):
            raise ValueError(
                f"BackupAndRestore: invalid save_freq={save_freq!r}; expected "
                "'epoch' or a positive int (a number of batches)."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = delete_checkpoint
        self._current_epoch = 0
        self._batches_since_save = 0

    @property
    def backup_path(self) -> str:
        return os.path.join(self.backup_dir, "latest.convlens")

    # ----- restore -----
    def on_train_begin(self, logs=None):
        if not getattr(self.model, "built", True):
            raise ValueError(
                f'BackupAndRestore: the model "{self.model.name}" must be built before fit(), '
                "so that a backup can be restored into it; start it with layers.Input(shape) "
                "or call it on a batch of data first."
            )
        self._batches_since_save = 0
        if not os.path.exists(self.backup_path):
            self._current_epoch = 0
            return
        state = self._restore()
        self._current_epoch = int(state["epoch"])
        self.model._initial_epoch = self._current_epoch

    def _restore(self) -> dict:
        path = self.backup_path
        saving.load_weights(self.model, path)
        with saving._open(path) as archive:
            try:
                state = json.loads(archive.read(_STATE))
            except (KeyError, ValueError) as error:
                raise saving.ModelFileError(
                    f"{path}: no readable {_STATE!r} ({error}); delete the backup to start over."
                ) from None
            optimizer_state = saving._read_npz(archive, "optimizer.npz", path)
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and optimizer_state:
            if not optimizer.built:
                optimizer.build(self.model.trainable_weights)
            try:
                optimizer.set_state(optimizer_state)
            except ValueError as error:
                raise saving.ModelFileError(
                    f"{path}: the optimizer state does not fit: {error}"
                ) from None
        _set_generator_states(self.model, state.get("generators", {}), path)
        return state

    # ----- back up -----
    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._batches_since_save = 0
        if self.save_freq == "epoch":
            self._save()

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save()

    def _save(self) -> None:
        optimizer = getattr(self.model, "optimizer", None)
        optimizer_state = optimizer.get_state() if optimizer is not None and optimizer.built else {}
        state = {"epoch": self._current_epoch, "generators": _generator_states(self.model)}
        weights = saving._npz_bytes(saving.weight_arrays(self.model))
        optimizer_bytes = saving._npz_bytes(optimizer_state)

        def write(stream):
            with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED) as archive:
                archive.writestr("weights.npz", weights)
                archive.writestr("optimizer.npz", optimizer_bytes)
                archive.writestr(_STATE, json.dumps(state, indent=1))

        saving._write_atomically(self.backup_path, write)

    def on_train_end(self, logs=None):
        if not self.delete_checkpoint:
            return
        if os.path.exists(self.backup_path):
            os.remove(self.backup_path)
        saving.remove_stale_temporaries(self.backup_dir)  # a killed earlier run's partial backup
        try:
            os.rmdir(self.backup_dir)  # only when empty: the folder may hold the user's files
        except OSError:
            pass


def _generators(model):
    """``(index, layer)`` for each layer holding a NumPy random generator (Dropout's ``_rng``)."""
    for index, layer in enumerate(model._flat_layers()):
        generator = getattr(layer, "_rng", None)
        if generator is not None and hasattr(generator, "bit_generator"):
            yield index, layer, generator


def _generator_states(model) -> dict:
    # JSON-able: the bit generator's state is a dict of ints and strings.
    return {
        str(index): {"layer": type(layer).__name__, "state": generator.bit_generator.state}
        for index, layer, generator in _generators(model)
    }


def _set_generator_states(model, states: dict, path) -> None:
    for index, layer, generator in _generators(model):
        saved = states.get(str(index))
        if saved is None or saved.get("layer") != type(layer).__name__:
            raise saving.ModelFileError(
                f"{path}: no random-generator state for layer "
                f'"{layer.name}"; the backup was written by another '
                "model. Delete it to start over."
            )
        generator.bit_generator.state = saved["state"]
