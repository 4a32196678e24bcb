"""Dataset files: IDX and CIFAR-10 binary readers against files written here, real data offline."""

import doctest
import gzip
import hashlib
import importlib.util
import io
import os
import re
import shutil
import struct
import sys
import tarfile
from pathlib import Path

import numpy
import pytest

from convlens import datasets
from convlens.datasets import DatasetFileError, cifar, cifar10, fashion_mnist, mnist, read_idx

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def idx_bytes(array: numpy.ndarray) -> bytes:
    """An uint8 array in the IDX format: magic (0, 0, type 0x08, ndim), big-endian dims, data."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(numpy.uint8).tobytes()


def cifar_records(images: numpy.ndarray, labels: numpy.ndarray) -> bytes:
    """(N, 32, 32, 3) images and (N,) labels as CIFAR-10 records: label, then R, G, B planes."""
    planes = images.transpose(0, 3, 1, 2).reshape(len(images), -1)  # (N, 3*32*32)
    return numpy.concatenate([labels[:, None], planes], axis=1).astype(numpy.uint8).tobytes()


def cifar_archive(members: dict) -> bytes:
    """A ``.tar.gz`` holding ``members`` (name -> bytes), like cifar-10-binary.tar.gz."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def small_cifar(seed=0, per_batch=2):
    """Member name -> records, and the expected ((x_train, y_train), (x_test, y_test))."""
    rng = numpy.random.default_rng(seed)
    members, arrays = {"cifar-10-batches-bin/batches.meta.txt": b"airplane\n"}, {}
    for name in cifar10.TRAIN + [cifar10.TEST]:
        images = rng.integers(0, 256, (per_batch, 32, 32, 3), dtype=numpy.uint8)
        labels = rng.integers(0, 10, per_batch, dtype=numpy.uint8)
        members[name], arrays[name] = cifar_records(images, labels), (images, labels[:, None])
    train = tuple(numpy.concatenate([arrays[n][i] for n in cifar10.TRAIN]) for i in (0, 1))
    return members, (train, arrays[cifar10.TEST])


# IDX


@pytest.fixture
def idx_file(tmp_path):
    array = numpy.arange(2 * 28 * 28, dtype=numpy.uint8).reshape(2, 28, 28)
    return tmp_path / "images-idx3-ubyte.gz", array, idx_bytes(array)


def test_read_idx_round_trip_with_checksum(idx_file):
    path, array, raw = idx_file
    path.write_bytes(gzip.compress(raw))
    numpy.testing.assert_array_equal(read_idx(path, md5=hashlib.md5(raw).hexdigest()), array)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda raw: gzip.compress(raw)[:-30], "corrupt gzip stream"),
        (lambda raw: gzip.compress(raw)[:10] + b"\xff" * 40 + gzip.compress(raw)[50:], "corrupt"),
        (lambda raw: raw[:-5], r"expected 1568 bytes of data for shape \(2, 28, 28\), found 1563"),
        (lambda raw: raw[:9], "truncated header"),
        (lambda raw: b"\x00\x01" + raw[2:], "not an IDX file"),
    ],
    ids=["gzip-truncated", "gzip-corrupt", "data-truncated", "header-truncated", "bad-magic"],
)
def test_broken_idx_names_the_file(idx_file, damage, message):
    path, _, raw = idx_file
    path.write_bytes(damage(raw))
    with pytest.raises(DatasetFileError, match=re.escape(str(path)) + ".*" + message):
        read_idx(path)


def test_idx_checksum_mismatch_names_both(idx_file):
    path, _, raw = idx_file
    path.write_bytes(raw)
    actual = hashlib.md5(raw).hexdigest()
    with pytest.raises(
        DatasetFileError, match=f"checksum mismatch \\(md5 {actual}, expected 0+\\)"
    ):
        read_idx(path, md5="0" * 32)


# CIFAR-10 binary


def test_cifar_record_is_label_then_red_green_blue_planes():
    record = numpy.zeros(cifar.RECORD, numpy.uint8)
    record[0] = 7
    record[1 : 1 + 1024], record[1025 : 1025 + 1024], record[2049:] = 1, 2, 3  # R, G, B planes
    record[1 + 1 * 32 + 5] = 9  # red of row 1, column 5
    images, labels = cifar.read_batch(record.tobytes(), "batch")
    assert images.shape == (1, 32, 32, 3) and images.dtype == numpy.uint8
    assert labels.tolist() == [[7]] and labels.dtype == numpy.uint8
    assert images[0, 1, 5].tolist() == [9, 2, 3] and images[0, 31, 31].tolist() == [1, 2, 3]


def test_cifar_archive_loads_with_keras_shapes(tmp_path):
    members, ((x_train, y_train), (x_test, y_test)) = small_cifar()
    (tmp_path / cifar10.ARCHIVE).write_bytes(cifar_archive(members))
    (a, b), (c, d) = cifar10.load_data(path=tmp_path)
    assert a.shape == (10, 32, 32, 3) and b.shape == (10, 1) and c.shape == (2, 32, 32, 3)
    assert a.dtype == b.dtype == c.dtype == d.dtype == numpy.uint8
    for ours, written in [(a, x_train), (b, y_train), (c, x_test), (d, y_test)]:
        numpy.testing.assert_array_equal(ours, written)


def _drop_one_member(members):
    del members[cifar10.TRAIN[2]]
    return cifar_archive(members)


def _partial_record(members):
    members[cifar10.TRAIN[1]] = members[cifar10.TRAIN[1]][:-5]
    return cifar_archive(members)


def _bad_label(members):
    members[cifar10.TEST] = b"\x0c" + members[cifar10.TEST][1:]
    return cifar_archive(members)


def _flip_middle(members):
    data = bytearray(cifar_archive(members))
    data[len(data) // 2] ^= 0xFF
    return bytes(data)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda m: cifar_archive(m)[:-1000], "truncated or corrupt archive"),
        (lambda m: cifar_archive(m)[:-4], "truncated or corrupt archive"),  # gzip's length field
        (_flip_middle, "truncated or corrupt archive"),
        (lambda m: b"not a gzip file at all", "truncated or corrupt archive"),
        (_drop_one_member, "lacks cifar-10-batches-bin/data_batch_3.bin"),
        (_partial_record, r"member cifar-10-batches-bin/data_batch_2\.bin: 6141 bytes is not"),
        (_bad_label, "record 0 has label 12"),
    ],
    ids=["truncated", "trailer-cut", "corrupt", "not-gzip", "missing", "partial", "label"],
)
def test_broken_cifar_archive_names_the_file(tmp_path, damage, message):
    members, _ = small_cifar()
    path = tmp_path / cifar10.ARCHIVE
    path.write_bytes(damage(members))
    with pytest.raises(DatasetFileError, match=re.escape(str(path)) + ".*" + message):
        cifar10.load_data(path=tmp_path)


def test_cifar_folder_without_archive(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(cifar10.ARCHIVE)):
        cifar10.load_data(path=tmp_path)


# Real data: bundled MNIST, the shared Fashion-MNIST, the CIFAR-10 sample


def test_bundled_mnist_matches_published_checksums(monkeypatch):
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert (x_train.shape, y_train.shape, x_test.shape, y_test.shape) == (
        (60000, 28, 28), (60000,), (10000, 28, 28), (10000,),
    )  # fmt: skip
    assert x_train.dtype == y_train.dtype == numpy.uint8 and set(numpy.unique(y_test)) == set(
        range(10)
    )
    monkeypatch.setitem(mnist.FILES, "t10k-labels-idx1-ubyte.gz", "0" * 32)
    with pytest.raises(DatasetFileError, match="t10k-labels-idx1-ubyte.gz: checksum mismatch"):
        mnist.load_data()


@pytest.mark.skipif(not (SHARED / "fashion-mnist").is_dir(), reason="no offline Fashion-MNIST")
def test_fashion_mnist_from_a_folder():
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data(path=SHARED / "fashion-mnist")
    assert (x_train.shape, y_train.shape, x_test.shape, y_test.shape) == (
        (60000, 28, 28), (60000,), (10000, 28, 28), (10000,),
    )  # fmt: skip
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {numpy.dtype(numpy.uint8)}
    assert numpy.bincount(y_test).tolist() == [1000] * 10  # the test set is balanced
    assert fashion_mnist.CLASS_NAMES[y_train[0]] == "Ankle boot"


def test_load_sample_reads_labels_from_file_names():
    pytest.importorskip("PIL", reason="Pillow is the optional extra convlens[images]")
    x, y = cifar10.load_sample()
    assert x.shape == (20, 32, 32, 3) and x.dtype == numpy.uint8
    assert y.shape == (20, 1) and y.dtype == numpy.uint8
    assert y.ravel().tolist() == [3, 8, 8, 0, 6, 6, 1, 6, 3, 1, 0, 9, 5, 7, 9, 8, 5, 7, 8, 6]
    assert [cifar10.CLASS_NAMES[i] for i in y[:2, 0]] == ["cat", "ship"]
    if (SHARED / "cifar10-sample").is_dir():
        x_shared, y_shared = cifar10.load_sample(SHARED / "cifar10-sample")
        numpy.testing.assert_array_equal(x_shared, x)
        numpy.testing.assert_array_equal(y_shared, y)


def test_load_sample_broken_or_missing_files(tmp_path):
    pytest.importorskip("PIL", reason="Pillow is the optional extra convlens[images]")
    with pytest.raises(FileNotFoundError, match="no CIFAR-10 sample images"):
        cifar10.load_sample(tmp_path)
    shutil.copy(os.path.join(cifar10.SAMPLE, "cifar10_00_3.png"), tmp_path / "cifar10_0_3.png")
    (tmp_path / "cifar10_1_5.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    with pytest.raises(DatasetFileError, match="cifar10_1_5.png: not a readable image"):
        cifar10.load_sample(tmp_path)


def test_load_sample_without_pillow_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)  # makes `from PIL import Image` fail
    with pytest.raises(ImportError, match=r"pip install 'convlens\[images\]'"):
        cifar10.load_sample()


def test_public_api_and_docstring_examples():
    assert len(cifar10.CLASS_NAMES) == len(fashion_mnist.CLASS_NAMES) == 10
    assert {"cifar10", "fashion_mnist", "mnist", "DatasetFileError", "DownloadError"} <= set(
        datasets.__all__
    )
    for module in (fashion_mnist, mnist):
        assert doctest.testmod(module).failed == 0
    if importlib.util.find_spec("PIL") is not None:  # load_sample's example reads PNGs
        assert doctest.testmod(cifar10).failed == 0
