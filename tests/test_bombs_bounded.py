"""Small files that declare or inflate to gigabytes are refused before their content is
allocated (issue 15): every dataset and image loader runs on bombs in a subprocess whose address
space the test bounds (``resource.setrlimit(RLIMIT_AS)``) at what the imports take plus
300 MiB, so a loader that allocates first ends in MemoryError instead of exhausting the machine.
"""

from __future__ import annotations

import gzip
import io
import os
import struct
import subprocess
import sys
import tarfile
import zlib

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc/self/status"
)
PIL = pytest.importorskip("PIL.Image")

HEADROOM = 300 << 20
ZEROS = gzip.compress(bytes(16 << 20), mtime=0)  # one gzip member: 16 MiB of zeros in 16 KB

SCRIPT = """
import resource, sys, warnings
import numpy
import convlens
from convlens import images, utils
from convlens.datasets import DatasetFileError, cifar, cifar10, mnist, read_idx
from PIL import Image

warnings.simplefilter("ignore")  # Pillow's DecompressionBombWarning before convlens refuses

def vm_bytes():
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmSize:")).split()[1]) << 10

LOADERS = {
    "read_idx": read_idx,
    "mnist": lambda path: mnist.load_data(path),
    "cifar": lambda path: cifar.read_archive(path, ["cifar-10-batches-bin/test_batch.bin"]),
    "load_image": images.load_image,
    "load_img": utils.load_img,
    "load_sample": cifar10.load_sample,
    "dataset": lambda path: utils.image_dataset_from_directory(
        path, labels=None, batch_size=None, image_size=(8, 8), verbose=False
    )[0],
}
limit = vm_bytes() + HEADROOM
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
for case in sys.argv[1:]:
    loader, path = case.split("=", 1)
    try:
        LOADERS[loader](path)
        print(loader, "loaded")
    except (DatasetFileError, images.ImageFileError) as error:
        print(loader, type(error).__name__, str(error).replace(chr(10), " "))
    except MemoryError:
        print(loader, "MemoryError")
"""


def _idx_header(shape) -> bytes:
    return bytes([0, 0, 8, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


def _png(width, height) -> bytes:
    """A valid PNG of 1x1 pixel whose IHDR (CRC recomputed) declares width x height."""
    buffer = io.BytesIO()
    PIL.new("L", (1, 1)).save(buffer, "PNG")
    data = buffer.getvalue()
    body = b"IHDR" + struct.pack(">II", width, height) + data[24:29]
    return data[:12] + body + struct.pack(">I", zlib.crc32(body)) + data[33:]


def _jpeg(width, height) -> bytes:
    buffer = io.BytesIO()
    PIL.new("RGB", (8, 8)).save(buffer, "JPEG")
    data = buffer.getvalue()
    at = data.index(b"\xff\xc0") + 5
    return data[:at] + struct.pack(">HH", height, width) + data[at + 4 :]


def _tar_header(name, size) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    return info.tobuf(format=tarfile.GNU_FORMAT)


def _bombs(folder) -> list[str]:
    """``loader=path`` cases: each file is at most a few MB."""
    cases = []

    def write(name, data, loader):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        cases.append(f"{loader}={path if loader not in ('mnist', 'load_sample') else path.parent}")
        if loader == "dataset":
            cases[-1] = f"dataset={path.parent}"

    # IDX: 10 values declared, 1 GiB inflated; 940 MB declared with 10 bytes; 940 MB of zeros.
    write("inflating-idx.gz", gzip.compress(_idx_header((10,)), mtime=0) + ZEROS * 64, "read_idx")
    write("truncated-idx", _idx_header((1_200_000, 28, 28)) + bytes(10), "read_idx")
    declared = gzip.compress(_idx_header((1_200_000, 28, 28)), mtime=0) + ZEROS * 57
    write("mnist/train-images-idx3-ubyte.gz", declared, "mnist")
    # CIFAR-10: a member of 1 GiB of zeros; a batch declaring 2 GiB.
    padding = gzip.compress(_tar_header("padding.bin", 1 << 30), mtime=0) + ZEROS * 64
    write("inflating.tar.gz", padding, "cifar")
    batch = _tar_header("cifar-10-batches-bin/test_batch.bin", 2 << 30)
    write("declaring.tar.gz", gzip.compress(batch, mtime=0) + ZEROS * 4, "cifar")
    # Images: 100,000 x 100,000 pixels declared by a PNG of 70 bytes, 65,535^2 by a JPEG.
    for loader in ("load_image", "load_img"):
        write(f"{loader}/bomb.png", _png(100_000, 100_000), loader)
        write(f"{loader}/bomb.jpg", _jpeg(65_535, 65_535), loader)
    write("sample/cifar10_00_3.png", _png(100_000, 100_000), "load_sample")
    write("dataset/bomb.png", _png(100_000, 100_000), "dataset")
    return cases


def test_bombs_are_refused_before_allocating_under_a_memory_limit(tmp_path):
    cases = _bombs(tmp_path)
    assert max(os.path.getsize(c.split("=")[1]) for c in cases if "." in c[-4:]) < 2 << 20
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    script = SCRIPT.replace("HEADROOM", str(HEADROOM))
    result = subprocess.run(
        [sys.executable, "-c", script, *cases], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert len(lines) == len(cases), result.stdout + result.stderr[-3000:]
    for case, line in zip(cases, lines):
        loader, path = case.split("=", 1)
        assert line.split()[1] in ("DatasetFileError", "ImageFileError"), line
        assert path in line, line
