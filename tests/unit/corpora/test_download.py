"""Downloads against a local HTTP server: verified by git blob id / sha256, atomic, clear network errors."""
from __future__ import annotations

import dataclasses
import hashlib
import subprocess

import pytest

from tasks.corpora import catalogue
from tasks.corpora import download as dl
from tasks.corpora.download import download, git_blob_id
from tasks.corpora.info import RemoteFile
from tasks.errors import CorpusError

GOOD = b"the cat sat\na dog ran\n"
LABELS = b"0\n1\n"


def test_git_blob_id_is_git_hash_object(tmp_path):
    (tmp_path / "f").write_bytes(GOOD)
    try:
        expected = subprocess.run(["git", "hash-object", str(tmp_path / "f")], capture_output=True, text=True,
                                  check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("git not available")
    assert git_blob_id(GOOD) == expected


@pytest.fixture
def served(http_root, monkeypatch):
    """Serve a two-file corpus 'yahoo' in the owner/repo/commit/path layout; yahoo's description points at it."""
    root, base = http_root
    folder = root / "owner" / "repo" / "abc123" / "Data"
    folder.mkdir(parents=True)
    (folder / "train.txt").write_bytes(GOOD)
    (folder / "train_class_label.txt").write_bytes(LABELS)
    files = (RemoteFile("owner/repo", "abc123", "Data/train.txt", "train.txt", blob=git_blob_id(GOOD)),
             RemoteFile("owner/repo", "abc123", "Data/train_class_label.txt", "train_class_label.txt",
                        sha256=hashlib.sha256(LABELS).hexdigest()))
    yahoo = dataclasses.replace(catalogue.BUILTIN_CORPORA["yahoo"], sources=files)
    monkeypatch.setitem(catalogue.BUILTIN_CORPORA, "yahoo", yahoo)
    return folder, base


def test_download_verifies_and_installs(served, tmp_path):
    folder, base = served
    lines: list[str] = []
    paths = download("yahoo", tmp_path / "data", base, echo=lines.append)
    assert [p.read_bytes() for p in paths] == [GOOD, LABELS]
    assert "verified (git blob id)" in lines[1] and "verified (sha256)" in lines[2]
    lines.clear()
    download("yahoo", tmp_path / "data", base, echo=lines.append)  # second time: nothing fetched
    assert all("already here, verified" in line for line in lines[1:])
    assert sorted(p.name for p in (tmp_path / "data" / "yahoo").iterdir()) == ["train.txt", "train_class_label.txt"]


def test_corrupted_file_is_rejected_and_leaves_nothing(served, tmp_path):
    folder, base = served
    (folder / "train.txt").write_bytes(GOOD.replace(b"cat", b"bat"))
    with pytest.raises(CorpusError, match=r"do not match train\.txt \(git blob id .*, expected .*nothing was written"):
        download("yahoo", tmp_path / "data", base, echo=lambda s: None)
    assert not (tmp_path / "data").exists()  # the folders the command made are removed with it


def test_corrupt_existing_file_is_replaced(served, tmp_path):
    folder, base = served
    target = tmp_path / "data" / "yahoo"
    target.mkdir(parents=True)
    (target / "train.txt").write_bytes(b"half a fi")
    (target / ".train.txt.x.part").write_bytes(b"stale")
    download("yahoo", tmp_path / "data", base, echo=lambda s: None)
    assert (target / "train.txt").read_bytes() == GOOD and not list(target.glob("*.part"))


def test_http_error_names_the_url(served, tmp_path):
    folder, base = served
    (folder / "train_class_label.txt").unlink()
    with pytest.raises(CorpusError, match=r"train_class_label\.txt: the server answered HTTP 404"):
        download("yahoo", tmp_path / "data", base, echo=lambda s: None)
    assert sorted(p.name for p in (tmp_path / "data" / "yahoo").iterdir()) == ["train.txt"]


def test_unreachable_network(served, tmp_path, closed_port):
    with pytest.raises(CorpusError, match=r"cannot download http://127\.0\.0\.1:\d+/.*network unreachable.*--base-url"):
        download("yahoo", tmp_path / "data", f"http://127.0.0.1:{closed_port}", echo=lambda s: None, timeout=5)
    assert not (tmp_path / "data").exists()  # the folders the command made are removed with it


def test_unknown_or_generated_corpus():
    with pytest.raises(CorpusError, match=r"synthetic corpus is generated"):
        download("synthetic", echo=lambda s: None)
    with pytest.raises(CorpusError, match=r"no download source for corpus 'yelpp' \(did you mean 'yelp'\?\)"):
        download("yelpp", echo=lambda s: None)


def test_every_real_file_has_a_verification():
    for name, info in catalogue.BUILTIN_CORPORA.items():
        for f in info.sources:
            assert f.blob or f.sha256, (name, f.name)
            assert f.url().startswith("https://raw.githubusercontent.com/")


def test_cli_download_ok_then_corrupt_then_unreachable(served, tmp_path, run_bench, closed_port):
    folder, base = served
    data = tmp_path / "data"
    ok = run_bench("data", "download", "yahoo", "--data-dir", str(data), "--base-url", base)
    assert ok.exit_code == 0, ok.output
    assert "2 files verified" in ok.output

    (folder / "train.txt").write_bytes(b"corrupted\n")
    fresh = tmp_path / "fresh"
    bad = run_bench("data", "download", "yahoo", "--data-dir", str(fresh), "--base-url", base)
    assert bad.exit_code == 2 and "error: " in bad.output and "do not match train.txt" in bad.output
    assert not fresh.exists()

    down = run_bench("data", "download", "yahoo", "--data-dir", str(fresh), "--base-url",
                     f"http://127.0.0.1:{closed_port}")
    assert down.exit_code == 2 and "network unreachable" in down.output


def test_ids_and_checksums_match_the_real_files(shared_data):
    """Every file at hand verifies against its description's sources: the blob ids and sha256 values are real."""
    for name in ("yahoo", "dbpedia"):
        for remote in catalogue.BUILTIN_CORPORA[name].sources:
            if remote.name != "train.txt":
                assert dl._verified_copy(shared_data / name, remote) is not None, (name, remote.name)
