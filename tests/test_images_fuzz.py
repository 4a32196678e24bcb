"""Fuzzing every image loader with mutated real photos (issue 15): ``images.load_image``,
``utils.load_img`` (a path and an ``io.BytesIO``), ``utils.image_dataset_from_directory`` and
``datasets.cifar10.load_sample``; a few hundred seeded cases by default, thousands with ``slow``.

Each load must give the pixels the strict reference finds (tests/image_mutations.py) or raise
the loader's documented error (a ValueError naming the file; DatasetFileError for load_sample);
never another exception, never MemoryError. What counts as silent corruption:

- PNG protects every chunk with a CRC-32, but Pillow does not check those of the pixel data:
  a PNG changed by flipped, cut or appended bytes must load as the original or be refused;
- JPEG has no checksum: a changed byte may decode to other pixels, which must then be exactly
  the ones Pillow decodes from the same bytes (no loader adds a corruption of its own);
- a header rewritten with a valid CRC (other dimensions) is a different file: it loads as the
  reference reads it, or is refused; beyond Pillow's decompression-bomb limit it is refused
  before its pixels are allocated.
"""

from __future__ import annotations

import collections
import io
import os

import numpy
import pytest

from image_mutations import MUTATIONS, originals, reference_pixels

pytest.importorskip("PIL.Image")

from convlens import images, utils  # noqa: E402
from convlens.datasets import DatasetFileError, cifar10  # noqa: E402

# Pillow warns before convlens refuses an image between its limit and twice it.
pytestmark = pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")


def _load_image(path):
    return images.load_image(path, mode="RGB")


def _load_img(path):
    return numpy.asarray(utils.load_img(path, color_mode="rgb"))


def _load_img_buffer(path):
    with open(path, "rb") as stream:
        return numpy.asarray(utils.load_img(io.BytesIO(stream.read()), color_mode="rgb"))


def _dataset(path, size):
    dataset = utils.image_dataset_from_directory(
        path.parent, labels=None, batch_size=None, image_size=size, shuffle=False, verbose=False
    )
    assert dataset.file_paths == [str(path)]
    return dataset[0].astype(numpy.uint8)


LOADERS = {
    "load_image": _load_image,
    "load_img": _load_img,
    "load_img_buffer": _load_img_buffer,
    "dataset": None,  # needs the size: see judge
}


def judge(loader, path, original, expected) -> str:
    """'same', 'different' or 'refused'; raises AssertionError for anything else."""
    try:
        if loader == "dataset":
            got = _dataset(path, expected.shape[:2] if expected is not None else (8, 8))
        else:
            got = LOADERS[loader](path)
    except ValueError as error:
        named = "<BytesIO>" if loader == "load_img_buffer" else str(path)
        assert named in str(error), f"{loader}: the message does not name the file: {error}"
        assert "\n" not in str(error), f"{loader}: a message of several lines: {error}"
        return "refused"
    except Exception as error:  # noqa: BLE001 - the failure this test exists to find
        raise AssertionError(f"{loader}: {type(error).__name__}: {error}") from error
    assert expected is not None, f"{loader} loaded {got.shape} from a file to refuse"
    assert numpy.array_equal(got, expected), f"{loader}: pixels other than the file holds"
    return "same" if numpy.array_equal(got, original) else "different"


def run_cases(files, folder, count, seed, loaders=tuple(LOADERS)) -> collections.Counter:
    rng = numpy.random.default_rng(seed)
    names, mutations = sorted(files), sorted(MUTATIONS)
    decoded = {}
    for name, data in files.items():
        (folder / name).write_bytes(data)
        decoded[name] = reference_pixels(folder / name)
        assert decoded[name] is not None, name
    outcomes, failures = collections.Counter(), []
    for case in range(count):
        name = names[case % len(names)]
        mutation = mutations[int(rng.integers(len(mutations)))]
        mutate, crc_covered = MUTATIONS[mutation]
        suffix = os.path.splitext(name)[1]
        if rng.random() < 0.15:  # named as another format: Pillow reads the content's
            suffix = ".jpg" if suffix == ".png" else ".png"
        path = folder / f"case{case}" / f"{mutation}{suffix}"
        path.parent.mkdir()
        path.write_bytes(mutate(files[name], rng))
        expected = reference_pixels(path)
        loader = loaders[case % len(loaders)]
        if loader == "dataset" and suffix not in (".png", ".jpg", ".bmp", ".gif"):
            loader = "load_image"  # the dataset lists Keras's formats only
        try:
            outcome = judge(loader, path, decoded[name], expected)
            silent = crc_covered and name.endswith(".png") and outcome == "different"
            assert not silent, f"{loader}: a PNG's CRCs were not checked"
        except AssertionError as failure:
            failures.append(f"{name} -> {path.parent.name}/{path.name}: {failure}")
            continue
        finally:
            path.unlink()
        outcomes[mutation, outcome] += 1
    assert not failures, "\n".join(failures[:25]) + f"\n({len(failures)} failures)"
    return outcomes


@pytest.fixture(scope="module")
def photos():
    return originals()


def test_a_few_hundred_mutated_photos_load_as_written_or_fail_cleanly(photos, tmp_path):
    outcomes = run_cases(photos, tmp_path, 400, seed=15)
    assert sum(outcomes.values()) == 400
    assert sum(n for (_, outcome), n in outcomes.items() if outcome == "refused") > 200, outcomes


@pytest.mark.slow
def test_thousands_of_mutated_photos_load_as_written_or_fail_cleanly(photos, tmp_path):
    assert sum(run_cases(photos, tmp_path, 3000, seed=1515).values()) == 3000


# ----- the CIFAR-10 sample's PNGs -----
def _sample_judge(folder, path, original) -> str:
    expected = reference_pixels(path)
    if expected is not None and expected.shape != (32, 32, 3):
        expected = None  # load_sample reads 32x32 images only
    try:
        x, _ = cifar10.load_sample(folder)
    except DatasetFileError as error:
        assert str(path) in str(error), f"the message does not name the file: {error}"
        return "refused"
    except Exception as error:  # noqa: BLE001 - the failure this test exists to find
        raise AssertionError(f"{type(error).__name__}: {error}") from error
    assert expected is not None, "loaded a file to refuse"
    assert numpy.array_equal(x[0], expected), "pixels other than the file holds"
    return "same" if numpy.array_equal(x[0], original) else "different"


def test_mutated_cifar_sample_images_load_as_written_or_fail_cleanly(tmp_path):
    source = os.path.join(os.path.dirname(cifar10.SAMPLE), "cifar10-sample", "cifar10_00_3.png")
    with open(source, "rb") as stream:
        data = stream.read()
    original = reference_pixels(source)
    rng = numpy.random.default_rng(15)
    outcomes, failures = collections.Counter(), []
    for case in range(60):
        mutation = sorted(MUTATIONS)[case % len(MUTATIONS)]
        folder = tmp_path / f"case{case}"
        folder.mkdir()
        path = folder / "cifar10_00_3.png"
        path.write_bytes(MUTATIONS[mutation][0](data, rng))
        try:
            outcome = _sample_judge(folder, path, original)
            assert outcome != "different" or mutation == "dims", "a PNG's CRCs were not checked"
            outcomes[mutation, outcome] += 1
        except AssertionError as failure:
            failures.append(f"{mutation} {case}: {failure}")
    assert not failures, "\n".join(failures)


# ----- special files -----
def _special(kind, folder, data: bytes):
    path = folder / "photo.png"
    if kind == "dev_zero":
        path.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("not a picture\n")
    elif kind == "dangling_link":
        path.symlink_to(folder / "missing.png")
    return path


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"), reason="POSIX")
@pytest.mark.parametrize("kind", ["dev_zero", "fifo", "folder", "empty", "text", "dangling_link"])
def test_special_files_are_refused_by_every_image_loader(kind, tmp_path, photos, alarm):
    path = _special(kind, tmp_path, photos["camera.png"])
    error = FileNotFoundError if kind == "dangling_link" else ValueError
    for load in (_load_image, _load_img):
        with pytest.raises(error, match=str(path)):
            load(path)
    if kind != "folder":  # a folder named photo.png is not a file: the dataset lists none
        dataset = utils.image_dataset_from_directory(
            tmp_path, labels=None, batch_size=None, image_size=(8, 8), verbose=False
        )
        with pytest.raises(error, match=str(path)):
            dataset[0]
    sample = tmp_path / "sample"
    sample.mkdir()
    _special(kind, sample, photos["camera.png"]).rename(sample / "cifar10_00_3.png")
    with pytest.raises((DatasetFileError, FileNotFoundError), match="cifar10_00_3.png"):
        cifar10.load_sample(sample)


def test_a_lowered_pillow_limit_is_an_error_naming_the_file(tmp_path, monkeypatch):
    """Pillow's own limit, lowered by a user, is honoured: between it and twice it Pillow only
    warns (DecompressionBombWarning); convlens refuses, with its error naming the file."""
    from PIL import Image

    path = tmp_path / "photo.png"
    Image.new("RGB", (64, 64)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 3000)  # 4,096 pixels: a warning in Pillow
    for load in (_load_image, _load_img):
        with pytest.raises(ValueError, match=rf"{path}.* 4,096 pixels"):
            load(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # over twice: Pillow's error
    for load in (_load_image, _load_img):
        with pytest.raises(ValueError, match=str(path)):
            load(path)


def test_a_png_whose_chunk_crc_fails_is_refused_though_pillow_reads_it(tmp_path):
    """A pixel byte changed and zlib's Adler-32 recomputed, but not the chunk's CRC (as a
    careless editor or a corruption with a consistent stream leaves it): Pillow returns the
    other pixels, since it skips IDAT's CRC; every loader refuses the file."""
    import zlib

    from PIL import Image

    path = tmp_path / "photo.png"
    pixels = numpy.arange(48 * 32 * 3, dtype=numpy.uint8).reshape(32, 48, 3)
    Image.fromarray(pixels).save(path, compress_level=0)  # stored: the pixels are bytes here
    data = bytearray(path.read_bytes())
    start = data.index(b"IDAT") + 4
    end = start + int.from_bytes(data[start - 8 : start - 4], "big")
    data[start + 2 + 5 + 1000] ^= 0x40  # past the zlib and stored-block headers
    raw = zlib.decompressobj(-15).decompress(bytes(data[start + 2 : end - 4]))  # raw deflate
    data[end - 4 : end] = zlib.adler32(raw).to_bytes(4, "big")
    path.write_bytes(bytes(data))
    assert not numpy.array_equal(numpy.asarray(Image.open(path)), pixels)  # Pillow: silent
    for load in (_load_image, _load_img, _load_img_buffer):
        with pytest.raises(ValueError, match=r"CRC of its 'IDAT' chunk does not match"):
            load(path)


# ----- careless sizes -----
SIZES = [(0, 0), (-5, 5), (10**9, 10**9), (100_000, 100_000), (2**31, 1), ("a", "b"), (3.7, 2.2)]
SIZES += [(float("nan"), 3), (5,), (1, 2, 3), 7, True]


@pytest.mark.parametrize("size", SIZES, ids=repr)
def test_careless_sizes_are_refused_naming_the_argument(tmp_path, size):
    """Every loader that resizes refuses a size that is not two positive ints or makes more
    pixels than Pillow's limit, before it allocates (``load_img(target_size=(10**9, 10**9))``
    ended in MemoryError)."""
    photo = images.sample_photo_path()
    with pytest.raises(ValueError, match="target_size"):
        utils.load_img(photo, target_size=size)
    with pytest.raises(ValueError, match=r"^size"):
        images.load_image(photo, size=size)
    folder = tmp_path / "a"
    folder.mkdir()
    (folder / "x.png").write_bytes(open(photo, "rb").read())
    if size == 7:  # one int is a square image_size, as in Keras
        return
    with pytest.raises(ValueError, match="image_size"):
        utils.image_dataset_from_directory(tmp_path, image_size=size, verbose=False)
