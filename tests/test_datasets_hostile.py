"""Hostile dataset files (issue 15 item 8): sizes are checked from the headers, with exact
integers, before anything large is read or allocated; special files and duplicated members are
refused; every failure is a DatasetFileError naming the file."""

import gzip
import io
import os
import struct
import tarfile

import numpy
import pytest

from convlens.datasets import DatasetFileError, cifar, cifar10, read_idx


def idx_header(shape, code=0x08) -> bytes:
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


@pytest.mark.parametrize(
    "shape, code",
    [
        ((60000, 28, 28, 4096), 0x08),  # 12.8 TB of uint8
        ((2**32 - 1,) * 4, 0x0E),  # overflows int64 when multiplied in numpy
        ((2**31,), 0x08),  # 2 GiB: over the default limit
    ],
)
def test_a_header_declaring_too_much_is_refused_before_reading(tmp_path, shape, code):
    path = tmp_path / "huge-idx.gz"
    path.write_bytes(gzip.compress(idx_header(shape, code) + b"\0" * 100))
    with pytest.raises(DatasetFileError, match=rf"{path.name}: declares shape .* at most"):
        read_idx(path)


def test_a_gzip_bomb_stops_at_the_declared_size(tmp_path):
    """A header declaring 10 bytes followed by 200 MB of zeros: read 11 bytes, refuse."""
    path = tmp_path / "bomb-idx.gz"
    with gzip.open(path, "wb") as stream:
        stream.write(idx_header((10,)))
        for _ in range(200):
            stream.write(bytes(1 << 20))
    with pytest.raises(DatasetFileError, match=r"expected 10 bytes .* found more"):
        read_idx(path)


def test_max_bytes_bounds_what_is_read(tmp_path):
    path = tmp_path / "ok-idx"
    path.write_bytes(idx_header((1000,)) + bytes(1000))
    assert read_idx(path).shape == (1000,)
    with pytest.raises(DatasetFileError, match=r"1,000 bytes of data; at most 999"):
        read_idx(path, max_bytes=999)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_a_link_to_a_device_is_refused(tmp_path):
    link = tmp_path / "train-images-idx3-ubyte"
    link.symlink_to("/dev/zero")
    with pytest.raises(DatasetFileError, match=r"not a regular file"):
        read_idx(link)


def archive(members) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_a_duplicated_cifar_batch_is_refused(tmp_path):
    record = bytes([3]) + bytes(cifar.RECORD - 1)
    name = cifar10.TRAIN[0]
    path = tmp_path / "cifar.tar.gz"
    path.write_bytes(archive([(name, record), (name, bytes([5]) + bytes(cifar.RECORD - 1))]))
    with pytest.raises(DatasetFileError, match=rf"member {name} appears twice"):
        cifar.read_archive(path, [name])


def test_an_oversized_cifar_batch_is_refused_before_reading(tmp_path):
    name = cifar10.TRAIN[0]
    path = tmp_path / "cifar.tar.gz"
    path.write_bytes(archive([(name, bytes(cifar.MAX_BATCH_BYTES + cifar.RECORD))]))
    with pytest.raises(DatasetFileError, match=r"declares 30,733,073 bytes"):
        cifar.read_archive(path, [name])


def test_a_cifar_archive_inflating_too_far_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(cifar, "MAX_ARCHIVE_BYTES", 1 << 20)
    path = tmp_path / "cifar.tar.gz"
    path.write_bytes(archive([("padding.bin", bytes(4 << 20))]))
    with pytest.raises(DatasetFileError, match=r"inflates past 1,048,576 bytes"):
        cifar.read_archive(path, [cifar10.TRAIN[0]])


def test_a_sample_image_of_the_wrong_size_is_refused(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    Image.fromarray(numpy.zeros((48, 64), numpy.uint8)).save(tmp_path / "cifar10_00_3.png")
    with pytest.raises(DatasetFileError, match=r"expected a 32×32 image, found 64×48"):
        cifar10.load_sample(tmp_path)


def test_a_decompression_bomb_is_a_dataset_file_error(tmp_path, monkeypatch):
    Image = pytest.importorskip("PIL.Image")
    Image.fromarray(numpy.zeros((64, 64), numpy.uint8)).save(tmp_path / "cifar10_00_3.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 4,096 pixels > twice the limit
    with pytest.raises(DatasetFileError, match=r"cifar10_00_3.png: not a readable image .*bomb"):
        cifar10.load_sample(tmp_path)


def bomb_png(path, width, height):
    """A tiny PNG whose header declares width x height (a real, all-zero image, compressed)."""
    Image = pytest.importorskip("PIL.Image")
    Image.new("1", (width, height)).save(path)
    return path


def test_an_image_declaring_too_many_pixels_is_refused_before_decoding(tmp_path, monkeypatch):
    from convlens import images, utils

    monkeypatch.setattr(images, "MAX_PIXELS", 10_000)  # a 12000x12000 file in miniature
    path = bomb_png(tmp_path / "bomb.png", 200, 200)
    assert path.stat().st_size < 1000
    with pytest.raises(ValueError, match=r"declares 200x200 = 40,000 pixels; at most 10,000"):
        images.load_image(path)
    with pytest.raises(ValueError, match=r"declares 200x200"):
        utils.load_img(path)
    with pytest.raises(ValueError, match=r"declares 200x200"):
        utils.load_img(io.BytesIO(path.read_bytes()))


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_an_image_link_to_a_device_is_refused(tmp_path):
    from convlens import images, utils

    link = tmp_path / "photo.png"
    link.symlink_to("/dev/zero")
    with pytest.raises(ValueError, match=r"not a regular file"):
        images.load_image(link)
    with pytest.raises(ValueError, match=r"not a regular file"):
        utils.load_img(link)
