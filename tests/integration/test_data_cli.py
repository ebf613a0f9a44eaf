"""`bench data info` / `bench run` on real and broken corpora, as a user runs them."""
from __future__ import annotations

import gzip
import subprocess
import sys

import pytest


def test_info_on_the_real_yahoo(run_bench, shared_data):
    res = run_bench("data", "info", "yahoo", env={"SPARSEBENCH_DATA": str(shared_data)})
    assert res.exit_code == 0, res.output
    out = res.output
    assert "from $SPARSEBENCH_DATA" in out and "vocabulary: 20,002 ids" in out and "classes: 10" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.split()[:1] in (["valid"], ["test"],
                                                                                              ["train"])}
    assert rows["valid"][1:5] == ["10,000", "5", "12.4", "30"] and rows["valid"][5] == "0"
    assert rows["test"][1] == "10,000"
    assert rows["train"][1] == "missing" and "bench data download yahoo" in " ".join(rows["train"])
    assert "Politics & Government   1,000    1,000" in out and "checksum: " in out


def test_info_on_the_real_dbpedia(run_bench, shared_data):
    res = run_bench("data", "info", "dbpedia", "--data-dir", str(shared_data))
    assert res.exit_code == 0, res.output
    assert "14,000" in res.output and "classes: 14" in res.output and "WrittenWork" in res.output


def test_bench_data_does_not_import_torch(shared_data):
    code = ("import sys; from bench.cli import cli\n"
            "try:\n    cli.main(['data', 'info', 'yahoo', '--data-dir', sys.argv[1]], prog_name='bench')\n"
            "except SystemExit as e:\n    assert not e.code, e.code\n"
            "assert 'torch' not in sys.modules, 'bench data imported torch'")
    res = subprocess.run([sys.executable, "-c", code, str(shared_data)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_run_without_train_split_names_file_and_download(run_bench, shared_data, tmp_path):
    res = run_bench("run", "--methods", "vae", "--corpora", "yahoo", "--data-dir", str(shared_data),
                    "--results-dir", str(tmp_path / "results"))
    assert res.exit_code == 2, res.output
    assert "yahoo/train.txt" in res.output and "bench data download yahoo" in res.output
    assert "--train-split valid" in res.output and "Traceback" not in res.output
    assert not list((tmp_path / "results").rglob("*.json"))


def _corpus(tmp_path):
    folder = tmp_path / "data" / "yahoo"
    folder.mkdir(parents=True)
    texts = {"train": ["a b c", "d e", "f g h"], "valid": ["a c", "e f"], "test": ["b d", "g h a"]}
    labels = {"train": ["0", "1", "2"], "valid": ["0", "1"], "test": ["2", "1"]}
    for split in texts:
        (folder / f"{split}.txt").write_text("".join(f"{t}\n" for t in texts[split]))
        (folder / f"{split}_class_label.txt").write_text("".join(f"{t}\n" for t in labels[split]))
    (folder / "vocab.txt").write_text("a\nb\nc\n_UNK\n")
    return folder


def _gz(folder, name, data: bytes):
    (folder / name).unlink()
    (folder / f"{name}.gz").write_bytes(data)


BAD = {
    "missing file": (lambda f: (f / "test_class_label.txt").unlink(),
                     "yahoo/test_class_label.txt (or test_class_label.txt.gz)"),
    "line counts differ": (lambda f: (f / "valid_class_label.txt").write_text("0\n1\n1\n"),
                           "valid_class_label.txt, line 3: has no partner"),
    "non-integer label": (lambda f: (f / "test_class_label.txt").write_text("2\nsports\n"),
                          "test_class_label.txt, line 2: label 'sports' is not an integer"),
    "out-of-range label": (lambda f: (f / "train_class_label.txt").write_text("0\n12\n2\n"),
                           "train_class_label.txt, line 2: label 12 is out of range"),
    "empty file": (lambda f: (f / "valid.txt").write_text(""), "valid.txt is empty"),
    "undecodable bytes": (lambda f: (f / "train.txt").write_bytes(b"a b\n\xc3\x28 x\nf\n"),
                          "train.txt, line 2: bytes"),
    "empty line": (lambda f: (f / "test.txt").write_text("b d\n\n"), "test.txt, line 2: empty line"),
    "class absent from train": (lambda f: (f / "train_class_label.txt").write_text("0\n1\n1\n"),
                                "test_class_label.txt, line 1: class 2 ('Health') appears in the test split but "
                                "never in the train split"),
    "corrupt gz": (lambda f: _gz(f, "test.txt", gzip.compress(b"b d\ng h a\n" * 500)[:40]),
                   "test.txt.gz, line 1: corrupt gzip data"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_one_line_exit_2(run_bench, tmp_path, case):
    damage, message = BAD[case]
    folder = _corpus(tmp_path)
    assert run_bench("data", "info", "yahoo", "--data-dir", str(tmp_path / "data")).exit_code == 0
    damage(folder)
    res = run_bench("data", "info", "yahoo", "--data-dir", str(tmp_path / "data"))
    assert res.exit_code == 2, res.output
    assert res.output.startswith("error: ") and message in res.output and "Traceback" not in res.output


def test_bad_input_through_bench_run_leaves_no_record(run_bench, tmp_path):
    folder = _corpus(tmp_path)
    (folder / "test.txt").write_text("b d\n\n")
    res = run_bench("run", "--methods", "vae", "--corpora", "yahoo", "--data-dir", str(tmp_path / "data"),
                    "--results-dir", str(tmp_path / "results"))
    assert res.exit_code == 2 and "test.txt, line 2: empty line" in res.output, res.output
    assert not list((tmp_path / "results").rglob("*.json"))


def test_info_on_a_user_tsv(run_bench, tmp_path):
    path = tmp_path / "mine.tsv"
    path.write_text("text\tlabel\n" + "".join(f"Sentence {i} here\t{'ab'[i % 2]}\n" for i in range(10)))
    res = run_bench("data", "info", str(path))
    assert res.exit_code == 0, res.output
    assert "classes: 2" in res.output and "user corpus" in res.output
