"""utils.image_dataset_from_directory against the real Keras's file indexing and split
(keras.src.utils.dataset_utils, which runs on JAX; Keras's image decoding needs TensorFlow or
grain, absent here, so pixels are checked against Pillow called directly and against slices of
the source arrays), and the background prefetch against reading in one thread.

The folder is built from the shared photos (chelsea, coffee) and the CIFAR-10 sample, cropped
and flipped into three classes, in every allowed format, with files that must be ignored.
"""

import io
import threading
from pathlib import Path

import numpy as np
import pytest

import convlens as cl
from convlens import layers, utils
from convlens.models import data as data_module
from convlens.utils import file_index, prefetch
from keras_oracle import real_keras

Image = pytest.importorskip("PIL.Image")

SHARED = Path(__file__).resolve().parents[2] / "shared"
CLASSES = ["cats", "cifar", "coffee"]  # alphabetical: the label order Keras infers
_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")  # Keras's allowed extensions
SIZE = (12, 16)  # (height, width), small so the whole file runs in seconds


def _photo(name):
    return np.asarray(Image.open(SHARED / "images" / name).convert("RGB"))


def _save(path, pixels):
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(np.ascontiguousarray(pixels))
    img.save(path, quality=95) if path.suffix == ".jpg" else img.save(path)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Three class folders (27 images) plus files Keras ignores; returns (root, {path: class})."""
    root = tmp_path_factory.mktemp("images")
    cat, coffee = _photo("chelsea.png"), _photo("coffee.png")
    expected = {}
    for i in range(8):  # crops of various shapes, every other one mirrored
        crop = cat[10 * i : 10 * i + 40 + 5 * i, 20 * i : 20 * i + 60]
        crop = crop[:, ::-1] if i % 2 else crop
        expected[root / "cats" / f"cat_{i}.{'jpg' if i < 4 else 'png'}"] = "cats"
        _save(root / "cats" / f"cat_{i}.{'jpg' if i < 4 else 'png'}", crop)
    expected[root / "cats" / "nested" / "deep.png"] = "cats"
    _save(root / "cats" / "nested" / "deep.png", cat[100:150, 100:180])
    for i in range(8):
        crop = coffee[15 * i : 15 * i + 70, 25 * i : 25 * i + 50 + 4 * i]
        suffix = ("bmp", "gif", "jpeg", "PNG")[i % 4]
        expected[root / "coffee" / f"cup_{i}.{suffix}"] = "coffee"
        _save(root / "coffee" / f"cup_{i}.{suffix}", crop[::-1] if i % 3 == 0 else crop)
    for path in sorted((SHARED / "datasets" / "cifar10-sample").glob("*.png"))[:10]:
        pixels = np.asarray(Image.open(path).convert("RGB"))
        expected[root / "cifar" / path.name] = "cifar"
        _save(root / "cifar" / path.name, pixels[:, ::-1])
    (root / "cats" / "notes.txt").write_text("not an image")
    _save(root / ".hidden" / "skip.png", cat[:8, :8])  # hidden folder: no class
    _save(root / "top.png", cat[:9, :9])  # files beside the class folders: no class
    return root, {str(path): label for path, label in expected.items()}


def _dataset(root, **kwargs):
    kwargs = {"image_size": SIZE, "batch_size": 5, "seed": 3, "verbose": False} | kwargs
    return utils.image_dataset_from_directory(str(root), **kwargs)


def _epoch(dataset):
    return [dataset[i] for i in range(len(dataset))]


# ----- which files, which labels, which split -----


@pytest.mark.parametrize("shuffle, seed", [(False, None), (True, 3), (True, 1234)])
@pytest.mark.parametrize("labels", ["inferred", None, "explicit"])
def test_file_list_and_labels_match_keras(folder, shuffle, seed, labels):
    real_keras()  # skips without Keras; chooses the JAX backend before the import below
    keras_utils = pytest.importorskip("keras.src.utils.dataset_utils")
    root, _ = folder
    if labels == "explicit":
        count = len(file_index.index_directory(str(root), None, _FORMATS, shuffle=False)[0])
        labels = [(7 * i) % 4 for i in range(count)]
    ours = file_index.index_directory(str(root), labels, _FORMATS, None, shuffle, seed)
    theirs = keras_utils.index_directory(
        str(root), labels, _FORMATS, shuffle=shuffle, seed=seed, verbose=False
    )
    assert ours[0] == theirs[0]
    assert ours[2] == theirs[2]
    if labels is not None:
        np.testing.assert_array_equal(np.asarray(ours[1]), np.asarray(theirs[1]))


def test_follow_links_matches_keras(tmp_path):
    real_keras()
    keras_utils = pytest.importorskip("keras.src.utils.dataset_utils")
    pixels = np.zeros((4, 4, 3), dtype=np.uint8)
    for path in ("root/cats/a.png", "root/dogs/b.jpg", "elsewhere/c.png", "elsewhere/d.bmp"):
        _save(tmp_path / path, pixels)
    (tmp_path / "root" / "cats" / "linked").symlink_to(tmp_path / "elsewhere")
    root = str(tmp_path / "root")
    for follow in (False, True):
        ours = file_index.index_directory(root, "inferred", _FORMATS, None, False, None, follow)
        theirs = keras_utils.index_directory(
            root, "inferred", _FORMATS, shuffle=False, follow_links=follow, verbose=False
        )
        assert ours[0] == theirs[0]
        assert len(ours[0]) == (4 if follow else 2)


def test_inferred_classes_files_and_labels(folder):
    root, expected = folder
    dataset = _dataset(root, shuffle=False, label_mode="int")
    assert dataset.class_names == CLASSES
    assert cl.preprocessing.image_dataset_from_directory is utils.image_dataset_from_directory
    assert sorted(dataset.file_paths) == sorted(expected)  # .txt, hidden, top-level left out
    assert dataset.file_paths == sorted(dataset.file_paths)  # shuffle=False: alphanumeric
    labels = np.concatenate([y for _, y in _epoch(dataset)])
    wanted = [CLASSES.index(expected[path]) for path in dataset.file_paths]
    np.testing.assert_array_equal(labels, wanted)
    assert labels.dtype == np.int32
    chosen = _dataset(root, shuffle=False, class_names=["coffee", "cats"])
    assert chosen.class_names == ["coffee", "cats"]
    labels = np.concatenate([y for _, y in _epoch(chosen)])
    wanted = [["coffee", "cats"].index(expected[path]) for path in chosen.file_paths]
    np.testing.assert_array_equal(labels, wanted)


def test_label_modes_follow_the_files(folder):
    root, expected = folder
    classes = [CLASSES.index(expected[path]) for path in sorted(expected)]
    for mode in ("int", "categorical", None):
        dataset = _dataset(root, shuffle=False, label_mode=mode)
        batches = _epoch(dataset)
        if mode is None:
            assert all(isinstance(batch, np.ndarray) for batch in batches)
            continue
        labels = np.concatenate([y for _, y in batches])
        if mode == "categorical":
            assert labels.shape == (len(classes), 3) and labels.dtype == np.float32
            np.testing.assert_array_equal(labels, np.eye(3, dtype="float32")[classes])
    pair = _dataset(root, shuffle=False, label_mode="binary", class_names=["cifar", "coffee"])
    labels = np.concatenate([y for _, y in _epoch(pair)])
    assert labels.shape == (len(pair.file_paths), 1) and labels.dtype == np.float32
    wanted = [float(expected[path] == "coffee") for path in pair.file_paths]
    np.testing.assert_array_equal(labels[:, 0], wanted)


def test_explicit_labels_and_no_labels(folder):
    root, _ = folder
    every = _dataset(root, labels=None, shuffle=False)
    assert every.class_names is None
    single = _dataset(root, batch_size=None, shuffle=False)
    image, label = single[3]  # batch_size=None: one sample at a time, as Keras's
    assert len(single) == len(single.file_paths) and image.shape == SIZE + (3,)
    assert label == CLASSES.index(Path(single.file_paths[3]).relative_to(root).parts[0])
    count = len(every.file_paths)  # top.png and the hidden folder count here, as in Keras
    given = [i % 2 for i in range(count)]
    dataset = _dataset(root, labels=given, shuffle=False, label_mode="int")
    assert dataset.class_names == ["0", "1"]
    np.testing.assert_array_equal(np.concatenate([y for _, y in _epoch(dataset)]), given)


@pytest.mark.parametrize("split", [0.2, 0.37])
def test_validation_split_is_keras_split(folder, split):
    real_keras()  # skips without Keras; chooses the JAX backend before the import below
    keras_utils = pytest.importorskip("keras.src.utils.dataset_utils")
    root, expected = folder
    train = _dataset(root, validation_split=split, subset="training", seed=11)
    valid = _dataset(root, validation_split=split, subset="validation", seed=11)
    assert not set(train.file_paths) & set(valid.file_paths)
    assert sorted(train.file_paths + valid.file_paths) == sorted(expected)
    assert len(valid.file_paths) == int(split * len(expected))
    paths, labels, _ = keras_utils.index_directory(
        str(root), "inferred", _FORMATS, shuffle=True, seed=11, verbose=False
    )
    for ours, subset in ((train, "training"), (valid, "validation")):
        theirs, _ = keras_utils.get_training_or_validation_split(paths, labels, split, subset)
        assert ours.file_paths == theirs
    both = _dataset(root, validation_split=split, subset="both", seed=11)
    assert [d.file_paths for d in both] == [train.file_paths, valid.file_paths]
    assert not both[1].shuffle  # Keras leaves the validation half of "both" unshuffled


def test_verbose_counts(folder, capsys):
    root, expected = folder
    _dataset(root, verbose=True, validation_split=0.25, subset="training")
    lines = capsys.readouterr().out.splitlines()
    train = len(expected) - int(0.25 * len(expected))
    assert lines == [
        f"Found {len(expected)} files belonging to 3 classes.",
        f"Using {train} files for training.",
    ]
    _dataset(root, verbose=False)
    assert capsys.readouterr().out == ""


# ----- pixels -----


def _pillow(path, size, mode="RGB", resample=Image.Resampling.BILINEAR):
    img = Image.open(path).convert(mode).resize((size[1], size[0]), resample)
    array = np.asarray(img, dtype="float32")
    return array[:, :, None] if array.ndim == 2 else array


@pytest.mark.parametrize(
    "color_mode, mode, channels", [("rgb", "RGB", 3), ("grayscale", "L", 1), ("rgba", "RGBA", 4)]
)
def test_color_modes_and_resizing_match_pillow(folder, color_mode, mode, channels):
    root, _ = folder
    dataset = _dataset(root, shuffle=False, color_mode=color_mode, batch_size=32)
    images, _ = dataset[0]
    assert images.shape == (len(dataset.file_paths),) + SIZE + (channels,)
    assert images.dtype == np.float32
    for image, path in zip(images, dataset.file_paths):
        np.testing.assert_array_equal(image, _pillow(path, SIZE, mode), err_msg=path)


@pytest.mark.parametrize(
    "interpolation, resample",
    [("nearest", "NEAREST"), ("bicubic", "BICUBIC"), ("area", "BOX"), ("lanczos3", "LANCZOS")],
)
def test_interpolations_match_pillow(folder, interpolation, resample):
    root, _ = folder
    dataset = _dataset(root, shuffle=False, interpolation=interpolation, image_size=(9, 7))
    images, _ = dataset[1]
    for image, path in zip(images, dataset.file_paths[5:10]):
        expected = _pillow(path, (9, 7), resample=getattr(Image.Resampling, resample))
        np.testing.assert_array_equal(image, expected)


def test_crop_and_pad_to_aspect_ratio_are_centre_slices(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    tall = np.random.default_rng(1).integers(0, 256, (40, 20, 3), dtype=np.uint8)
    _save(tmp_path / "a" / "wide.png", pixels)
    _save(tmp_path / "b" / "tall.png", tall)
    kwargs = {"image_size": (40, 40), "shuffle": False, "verbose": False}
    cropped, _ = utils.image_dataset_from_directory(tmp_path, crop_to_aspect_ratio=True, **kwargs)[
        0
    ]
    np.testing.assert_array_equal(cropped[0], pixels[:, 10:50])  # the centred 40x40 window
    centre = Image.fromarray(tall[10:30]).resize((40, 40), Image.Resampling.BILINEAR)
    np.testing.assert_array_equal(cropped[1], np.asarray(centre, dtype="float32"))  # 20x20 up
    padded, _ = utils.image_dataset_from_directory(tmp_path, pad_to_aspect_ratio=True, **kwargs)[0]
    np.testing.assert_array_equal(padded[1][:, 10:30], tall)  # 10 black columns on each side
    assert not padded[1][:, :10].any() and not padded[1][:, 30:].any()
    first, _ = utils.image_dataset_from_directory(tmp_path, data_format="channels_first", **kwargs)[
        0
    ]
    assert first.shape == (2, 3, 40, 40)
    np.testing.assert_array_equal(
        first[1], _pillow(tmp_path / "b" / "tall.png", (40, 40)).transpose(2, 0, 1)
    )


# ----- order, reshuffling, threads -----


def _keyed(batches):
    """{image bytes: label}: what each image was labelled, whatever the order."""
    return {
        images[i].tobytes(): int(labels[i])
        for images, labels in batches
        for i in range(len(images))
    }


def test_shuffle_keeps_pairs_and_reshuffles_each_epoch(folder):
    root, _ = folder
    plain = _keyed(_epoch(_dataset(root, shuffle=False)))
    dataset = _dataset(root, shuffle=True, seed=5)
    first = list(dataset)  # a complete loop moves to the next epoch
    second = list(dataset)
    assert _keyed(first) == plain and _keyed(second) == plain
    order = [b"".join(image.tobytes() for image in images) for images, _ in first]
    assert order != [b"".join(image.tobytes() for image in images) for images, _ in second]
    again = list(_dataset(root, shuffle=True, seed=5))  # the same seed repeats epoch 0
    for (a, la), (b, lb) in zip(first, again):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(la, lb)


def test_threads_give_the_same_batches_as_one_thread(folder):
    root, _ = folder
    runs, readers = [], {0: set(), 3: set()}
    for workers in (0, 3):
        dataset = _dataset(root, shuffle=True, seed=9, workers=workers, max_queue_size=2)
        read = dataset.reader.read
        dataset.reader.read = lambda path, read=read, seen=readers[workers]: (
            seen.add(threading.current_thread().name) or read(path)
        )
        batcher = data_module.batches(dataset)  # what fit reads
        runs.append([batch for epoch in range(2) for batch in batcher.epoch(epoch)])
        wrapped = data_module.batches(dataset, steps=4)  # steps_per_epoch: wraps around
        runs[-1] += [batch for epoch in range(3) for batch in wrapped.epoch(epoch)]
    assert len(runs[0]) == 2 * 6 + 3 * 4
    assert readers[0] == {threading.current_thread().name}
    assert len(readers[3]) > 1 and all(n.startswith("convlens-prefetch") for n in readers[3])
    for (x0, y0, _), (x1, y1, _) in zip(*runs):
        np.testing.assert_array_equal(x0, x1)
        np.testing.assert_array_equal(y0, y1)


def _prefetch_threads():
    return [t for t in threading.enumerate() if t.name.startswith("convlens-prefetch")]


def test_a_bad_file_is_named_and_no_thread_is_left(tmp_path):
    for i in range(12):
        _save(tmp_path / "a" / f"{i:02d}.png", np.full((6, 6, 3), i, dtype=np.uint8))
    (tmp_path / "a" / "05_broken.png").write_bytes(b"this is no png")
    dataset = utils.image_dataset_from_directory(
        tmp_path, image_size=(6, 6), batch_size=2, shuffle=False, verbose=False, workers=3
    )
    seen = []
    with pytest.raises(ValueError, match="Cannot read the image file .*05_broken.png"):
        for images, _ in dataset:
            seen.append(images)
    assert len(seen) == 3  # the batches before the broken file arrive, in order
    assert _prefetch_threads() == []
    for _ in dataset:  # stopping early shuts the pool down too
        break
    assert _prefetch_threads() == []
    with pytest.raises(ValueError, match="05_broken.png"):  # the path fit reads
        list(data_module.batches(dataset).epoch(0))
    assert _prefetch_threads() == []


def test_ordered_map_propagates_and_stops():
    started = []

    def slow_square(value):
        started.append(value)
        if value == 4:
            raise RuntimeError("four")
        return value * value

    with pytest.raises(RuntimeError, match="four"):
        list(prefetch.ordered_map(slow_square, range(100), workers=2, max_queue_size=3))
    assert max(started) < 10  # bounded read-ahead: the rest was never started
    assert _prefetch_threads() == []
    with pytest.raises(ValueError, match="workers must be an int >= 0, received -1"):
        prefetch.ordered_map(abs, [], workers=-1)


# ----- errors -----


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"subset": "training"}, "subset and validation_split go together.*subset='training'"),
        ({"validation_split": 0.2, "subset": "training", "seed": None}, "needs a seed"),
        ({"validation_split": 1.5, "subset": "training"}, "between 0 and 1.*1.5"),
        ({"validation_split": 0.2, "subset": "test"}, "subset must be one of.*'test'"),
        ({"label_mode": "sparse"}, "label_mode must be one of.*'sparse'"),
        ({"color_mode": "cmyk"}, "color_mode must be one of.*'cmyk'"),
        ({"image_size": (3, 4, 5)}, r"image_size must be \(height, width\).*\(3, 4, 5\)"),
        ({"interpolation": "gaussian"}, "interpolation must be one of.*'gaussian'.*Pillow"),
        ({"label_mode": "binary"}, "exactly 2 classes, received 3"),
        ({"labels": "folders"}, "labels must be 'inferred', None or a list.*'folders'"),
        ({"labels": [0, 1]}, "labels has 2 entries but directory .* holds 29"),
        ({"class_names": ["dogs"]}, r"class_names must name sub-folders.*\['dogs'\]"),
        ({"labels": None, "class_names": ["cats"]}, "class_names is only valid with"),
        ({"batch_size": 0}, "batch_size must be a positive int or None, received 0"),
        ({"crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True}, "Only one of"),
        ({"data_format": "nhwc"}, "data_format must be.*'nhwc'"),
    ],
)
def test_bad_arguments_are_named(folder, kwargs, message):
    root, _ = folder
    with pytest.raises(ValueError, match=message):
        _dataset(root, **kwargs)


def test_empty_and_missing_folders(tmp_path):
    (tmp_path / "empty_class").mkdir()
    with pytest.raises(ValueError, match="No images found in directory .*Allowed formats"):
        utils.image_dataset_from_directory(tmp_path, verbose=False)
    with pytest.raises(FileNotFoundError, match="does not exist or is not a folder"):
        utils.image_dataset_from_directory(tmp_path / "absent", verbose=False)


# ----- training on it -----


def _glorot(seed):
    return cl.initializers.GlorotUniform(seed=seed)  # seeded: the loss curve repeats


def test_fit_evaluate_predict_with_augmentation(folder):
    root, expected = folder
    train = _dataset(root, image_size=(16, 16), batch_size=8, seed=2, workers=2)
    model = cl.Sequential(
        [
            layers.Input((16, 16, 3)),
            layers.Rescaling(1 / 255),
            layers.RandomFlip("horizontal", seed=1),
            layers.Conv2D(6, 3, activation="relu", kernel_initializer=_glorot(2)),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(3, activation="softmax", kernel_initializer=_glorot(102)),
        ]
    )
    model.compile(optimizer=cl.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    history = model.fit(train, epochs=8, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.7 * losses[0], losses
    assert np.isfinite(model.evaluate(train, verbose=0))
    plain = _dataset(root, image_size=(16, 16), batch_size=8, shuffle=False, workers=2)
    predictions = model.predict(plain, verbose=0)
    assert predictions.shape == (len(expected), 3)
    direct = model.predict(np.concatenate([x for x, _ in _epoch(plain)]), verbose=0)
    np.testing.assert_allclose(predictions, direct, rtol=1e-5, atol=1e-6)


# ----- the image-file helpers (Keras's load_img and friends) -----


def test_load_img_gaps_match_keras(tmp_path):
    keras = real_keras()
    deep = (np.arange(120, dtype=np.uint16).reshape(10, 12) * 500).astype(np.uint16)
    Image.fromarray(deep).save(tmp_path / "deep.png")
    colour = _photo("coffee.png")[:37, :53]
    _save(tmp_path / "colour.png", colour)
    buffer = io.BytesIO((tmp_path / "colour.png").read_bytes())
    for path, kwargs in [
        (tmp_path / "deep.png", {"color_mode": "grayscale"}),
        (tmp_path / "colour.png", {"target_size": (10, 7), "keep_aspect_ratio": True}),
        (tmp_path / "colour.png", {"target_size": (9, 30), "keep_aspect_ratio": True}),
    ]:
        ours = utils.img_to_array(utils.load_img(path, **kwargs))
        theirs = keras.utils.img_to_array(keras.utils.load_img(path, **kwargs))
        np.testing.assert_array_equal(ours, theirs)
    ours = utils.img_to_array(utils.load_img(buffer, target_size=(5, 5)))
    buffer.seek(0)
    theirs = keras.utils.img_to_array(keras.utils.load_img(buffer, target_size=(5, 5)))
    np.testing.assert_array_equal(ours, theirs)
    wide = np.linspace(0, 1000, 12, dtype="float32").reshape(3, 4, 1)
    for scale in (False, True):
        ours = utils.array_to_img(wide, scale=scale)
        theirs = keras.utils.array_to_img(wide, scale=scale)
        assert ours.mode == theirs.mode
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    with pytest.raises(TypeError, match="path must be a str, bytes, pathlib.Path or io.BytesIO"):
        utils.load_img(3)
    with pytest.warns(UserWarning, match="JPEG has no alpha"):
        utils.save_img(tmp_path / "alpha.jpg", np.zeros((4, 4, 4)), scale=False)
