"""Downloads into the dataset cache, against a local HTTP server serving files in the real formats.

Checksum tables are patched to the small files written here; nothing leaves 127.0.0.1.
"""

import gzip
import hashlib
import http.server
import os
import re
import socket
import threading
from dataclasses import dataclass

import numpy
import pytest

from convlens.datasets import DatasetFileError, DownloadError, cifar10, fashion_mnist
from test_datasets import cifar_archive, idx_bytes, small_cifar


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


class Server:
    """What the local server serves (URL path -> bytes) and the paths it was asked for."""

    def __init__(self):
        self.files, self.truncate, self.requests = {}, set(), []

    def serve(self, files: dict, under: str = "/"):
        self.files.update({under + name: data for name, data in files.items()})


@pytest.fixture
def server():
    state = Server()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            state.requests.append(self.path)
            body = state.files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))  # the whole length, always
            self.end_headers()
            self.wfile.write(body[: len(body) // 2] if self.path in state.truncate else body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_port}/"
    yield state
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVLENS_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("CONVLENS_DATA_URL", raising=False)
    monkeypatch.setenv("no_proxy", "*")  # a proxy in the environment must not see 127.0.0.1
    return tmp_path / "cache"


@dataclass
class Case:
    module: object
    folder: str  # the dataset's subfolder of the cache
    files: dict  # name -> bytes, as served
    expected: tuple  # ((x_train, y_train), (x_test, y_test))


def fashion_case(monkeypatch) -> Case:
    rng = numpy.random.default_rng(1)
    arrays = [
        rng.integers(0, 256, (6, 28, 28), dtype=numpy.uint8),
        rng.integers(0, 10, 6, dtype=numpy.uint8),
        rng.integers(0, 256, (4, 28, 28), dtype=numpy.uint8),
        rng.integers(0, 10, 4, dtype=numpy.uint8),
    ]
    raw = dict(zip(fashion_mnist.FILES, (idx_bytes(a) for a in arrays), strict=True))
    files = {name: gzip.compress(data) for name, data in raw.items()}
    monkeypatch.setattr(fashion_mnist, "FILES", {n: md5(d) for n, d in files.items()})
    monkeypatch.setattr(fashion_mnist, "CONTENTS", {n: md5(d) for n, d in raw.items()})
    return Case(fashion_mnist, "fashion-mnist", files, (tuple(arrays[:2]), tuple(arrays[2:])))


def cifar_case(monkeypatch) -> Case:
    members, expected = small_cifar(seed=2)
    files = {cifar10.ARCHIVE: cifar_archive(members)}
    monkeypatch.setattr(cifar10, "FILES", {cifar10.ARCHIVE: md5(files[cifar10.ARCHIVE])})
    return Case(cifar10, "cifar-10", files, expected)


@pytest.fixture(params=["fashion_mnist", "cifar10"])
def case(request, monkeypatch):
    return {"fashion_mnist": fashion_case, "cifar10": cifar_case}[request.param](monkeypatch)


def assert_loaded(loaded, expected):
    for ours, written in zip(loaded[0] + loaded[1], expected[0] + expected[1], strict=True):
        assert ours.dtype == numpy.uint8
        numpy.testing.assert_array_equal(ours, written)


def files_in(folder) -> list:
    return sorted(name for _, _, names in os.walk(folder) for name in names)


def closed_port_url() -> str:
    with socket.socket() as probe:  # a port nobody listens on: the connection is refused
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/"


def test_download_lands_in_cache_and_second_load_makes_no_request(case, server, cache, monkeypatch):
    server.serve(case.files)
    monkeypatch.setenv("CONVLENS_DATA_URL", server.url)
    assert_loaded(case.module.load_data(), case.expected)
    assert sorted(server.requests) == sorted("/" + name for name in case.files)
    assert files_in(cache) == sorted(case.files)  # no temporary file left
    assert sorted(os.listdir(cache / case.folder)) == sorted(case.files)
    assert_loaded(case.module.load_data(), case.expected)
    assert len(server.requests) == len(case.files)


def test_official_mirrors_are_tried_in_order(case, server, cache, monkeypatch):
    server.serve(case.files, under="/second/")
    monkeypatch.setattr(case.module, "MIRRORS", [server.url + "first/", server.url + "second/"])
    assert_loaded(case.module.load_data(), case.expected)
    first = next(iter(case.files))
    assert server.requests[:2] == [f"/first/{first}", f"/second/{first}"]


def test_corrupt_download_raises_and_leaves_cache_empty(case, server, cache, monkeypatch):
    name = next(iter(case.files))
    corrupt = bytearray(case.files[name])
    corrupt[len(corrupt) // 2] ^= 0xFF
    server.serve({**case.files, name: bytes(corrupt)})
    monkeypatch.setenv("CONVLENS_DATA_URL", server.url)
    message = (
        f"{re.escape(server.url + name)}: checksum mismatch for {name} "
        f"\\(md5 {md5(corrupt)}, expected the published {case.module.FILES[name]}\\)"
    )
    with pytest.raises(DatasetFileError, match=message):
        case.module.load_data()
    assert files_in(cache) == [] and not (cache / case.folder).exists()


def test_truncated_download_raises_and_leaves_cache_empty(case, server, cache, monkeypatch):
    name = next(iter(case.files))
    server.serve(case.files)
    server.truncate.add("/" + name)
    monkeypatch.setenv("CONVLENS_DATA_URL", server.url)
    size = len(case.files[name])
    with pytest.raises(DownloadError, match=f"truncated download, received {size // 2} of {size}"):
        case.module.load_data()
    assert files_in(cache) == []


@pytest.mark.parametrize("failure", ["404", "no network"])
def test_failed_download_says_where_to_put_the_files(case, server, cache, monkeypatch, failure):
    monkeypatch.setenv("CONVLENS_DATA_URL", server.url if failure == "404" else closed_port_url())
    with pytest.raises(DownloadError) as caught:
        case.module.load_data()
    message = str(caught.value)
    assert ("HTTP Error 404" in message) == (failure == "404")
    assert f"put them in {cache / case.folder}" in message
    assert all(name in message for name in case.files)
    assert files_in(cache) == []


def test_files_already_in_the_cache_are_used_without_network(case, server, cache, monkeypatch):
    (cache / case.folder).mkdir(parents=True)
    for name, data in case.files.items():
        (cache / case.folder / name).write_bytes(data)
    monkeypatch.setenv("CONVLENS_DATA_URL", server.url)
    assert_loaded(case.module.load_data(), case.expected)
    assert server.requests == []


def test_only_missing_files_are_downloaded(server, cache, monkeypatch):
    case = fashion_case(monkeypatch)
    (cache / case.folder).mkdir(parents=True)
    present = list(case.files)[:2]
    for name in present:
        (cache / case.folder / name).write_bytes(case.files[name])
    server.serve(case.files)
    monkeypatch.setenv("CONVLENS_DATA_URL", server.url)
    assert_loaded(fashion_mnist.load_data(), case.expected)
    assert sorted(server.requests) == sorted("/" + name for name in list(case.files)[2:])


def test_a_given_folder_is_used_as_is_and_never_downloaded_into(
    case, server, cache, monkeypatch, tmp_path
):
    folder = tmp_path / "mine"
    folder.mkdir()
    monkeypatch.setenv("CONVLENS_DATA_URL", server.url)
    server.serve(case.files)
    with pytest.raises(FileNotFoundError, match=re.escape(str(folder))):
        case.module.load_data(path=folder)
    for name, data in case.files.items():
        (folder / name).write_bytes(data)
    assert_loaded(case.module.load_data(path=folder), case.expected)
    assert server.requests == [] and not cache.exists()
