"""The spine end to end, as a user runs it: `bench run` on synthetic, reuse, leaderboard, bad input."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

BAD_INPUTS = [
    (["run", "--methods", "vea"], "unknown method 'vea' (did you mean 'vae'?)"),
    (["run", "--corpora", "synthetc"], "unknown corpus 'synthetc' (did you mean 'synthetic'?)"),
    (["run", "--preset", "smok"], "unknown preset 'smok' (did you mean 'smoke'?)"),
    (["run", "--set", "epoch=2"], "unknown --set key 'epoch' (did you mean 'epochs'?)"),
    (["run", "--set", "epochs=abc"], "invalid value 'abc' for --set epochs: expected an integer"),
    (["run", "--set", "lr=fast"], "invalid value 'fast' for --set lr: expected a number"),
    (["run", "--set", "epochs"], "malformed --set 'epochs': expected KEY=VALUE"),
    (["run", "--set", "vae.betta=2"], "unknown hyperparameter 'betta' in --set vae.betta (did you mean 'beta'?)"),
    (["run", "--set", "mat.alpha=2"], "'mat' is not among the selected methods"),
    (["run", "--seeds", "two"], "invalid --seeds 'two'"),
    (["run", "--set", "precision=fp16"], "precision='fp16' is out of range; it must be one of fp32, bf16, auto"),
    (["run", "--seeds", "0"], "for seed 0 alone, give a list: --seeds 0,"),
    # issue 24 §4: silent-wrong input refused
    (["run", "--seeds", ","], "invalid --seeds ',': the list names no seed"),
    (["run", "--train-split", "test"], "--train-split test: every score is read on the test split"),
    (["run", "--results-dir", ""], "--results-dir is empty; name a folder"),
    (["leaderboard", "--results-dir", " "], "--results-dir is empty; name a folder"),
    # issue 12 §1: every one refused before anything trains
    (["run", "--set", "epochs=0"], "training: epochs=0 is out of range; it must be a finite number ≥ 1"),
    (["run", "--set", "vae.beta=-1"], "vae: beta=-1.0 is out of range; it must be a finite number ≥ 0"),
    (["run", "--set", "latent_dim=0"], "vae: latent_dim=0 is out of range"),
    (["run", "--set", "latent_dim=-4"], "vae: latent_dim=-4 is out of range"),
    (["run", "--set", "hidden_dim=0"], "vae: hidden_dim=0 is out of range"),
    (["run", "--set", "batch_size=0"], "training: batch_size=0 is out of range"),
    (["run", "--set", "eval_batch_size=0"], "training: eval_batch_size=0 is out of range"),
    (["run", "--set", "lr=-1"], "training: lr=-1.0 is out of range; it must be a finite number > 0"),
    (["run", "--set", "lr=nan"], "training: lr=nan is out of range"),
    (["run", "--set", "max_train_sentences=-5"], "training: max_train_sentences=-5 is out of range"),
    (["run", "--corpora", "{tmp}/one_class.csv"],
     "the file {tmp}/one_class.csv has 1 class in its train split (every label is 'spam')"),
    (["run", "--methods", ""], "--methods is empty"),
    (["run", "--corpora", ""], "--corpora is empty"),
    (["run", "--grid", "latent_dim=8,x"], "invalid value 'x' for --grid latent_dim: expected an integer"),
    (["run", "--grid", "latent_dim=8,0"], "invalid value '0' in --grid latent_dim=8,0: latent_dim must be"),
    (["profile", "--method", "vae", "--corpus", "synthetic", "--preset", "smoke", "--device", "cuda:3"],
     "--device cuda:3: cuda:3 is not available here (0 CUDA device(s) visible)"),
    (["run", "--results-dir", "{tmp}/afile/sub"], "--results-dir {tmp}/afile/sub: {tmp}/afile is a file, not a folder"),
    (["run", "--executor", "dsak"], "unknown --executor 'dsak' (did you mean 'dask'?); available: dask, local"),
]


@pytest.mark.parametrize("args,message", BAD_INPUTS, ids=[" ".join(a) for a, _ in BAD_INPUTS])
def test_bad_input_is_one_line_exit_2(run_bench, tmp_path, args, message):
    (tmp_path / "one_class.csv").write_text("text,label\n" + "".join(f"buy now {i},spam\n" for i in range(40)))
    (tmp_path / "afile").write_text("a regular file\n")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if args[0] == "run" and "--results-dir" not in args:
        args += ["--results-dir", str(tmp_path)]
    res = run_bench(*args, env={"SPARSEBENCH_IGNORE_GPUS": "1"})  # "a machine without CUDA"
    assert res.exit_code == 2, res.output
    assert message.replace("{tmp}", str(tmp_path)) in res.output
    assert res.output.startswith("error: ") and len(res.output.strip().splitlines()) == 1, res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "runs").exists(), "bad input must not leave records behind"
    assert not list(tmp_path.rglob("record.json")) and not list(tmp_path.rglob("model.pt")), "nothing trained"


def test_bad_input_in_a_real_process_has_no_traceback(tmp_path):
    res = subprocess.run([sys.executable, "-m", "bench", "run", "--methods", "hsvea,vae", "--results-dir",
                          str(tmp_path)], capture_output=True, text=True)
    assert res.returncode == 2
    assert res.stderr.strip().startswith("error: unknown method 'hsvea'")
    assert len(res.stderr.strip().splitlines()) == 1
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize("argv", [["--help"], ["list"], ["list", "methods"], ["leaderboard", "--help"],
                                  ["encode", "--help"], ["explore", "--help"], ["export", "--help"]])
def test_help_and_list_do_not_import_torch(argv):
    code = ("import sys\nfrom bench.cli import cli\n"
            f"try:\n    cli.main(args={argv!r}, prog_name='bench')\nexcept SystemExit:\n    pass\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\nprint('NO_TORCH')")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "NO_TORCH" in res.stdout, res.stderr


def test_list_shows_methods_corpora_presets(run_bench):
    res = run_bench("list")
    assert res.exit_code == 0
    for word in ("vae", "synthetic", "smoke", "cpu", "paper", "mean*"):
        assert word in res.output


def test_run_trains_reuses_and_leaderboard_reads(run_bench, tmp_path):
    results = tmp_path / "results"
    res = run_bench("run", "--methods", "vae", "--corpora", "synthetic", "--preset", "smoke",
                    "--results-dir", str(results))
    assert res.exit_code == 0, res.output
    assert "1 trained, 0 rescored, 0 cached" in res.output
    assert "| vae" in res.output
    (cell,) = [p for p in (results / "runs").iterdir() if not p.name.startswith("ref-")]  # + reference rows
    record = json.loads((cell / "record.json").read_text())
    assert record["status"] == "ok"
    assert cell.name.endswith(record["cell_id"])
    prov = record["provenance"]
    for key in ("versions", "corpus_checksum", "device", "train_seconds", "seed"):
        assert key in prov
    assert prov["versions"]["torch"].startswith("2.")
    mean = record["metrics"]["modes"]["mean"]
    assert mean["probe_accuracy"] > 0.5, "4 balanced classes: chance is 0.25"
    assert 0.0 <= mean["avg_hoyer"] <= 1.0
    assert record["metrics"]["reconstruction"]["nll_per_token"] < 5.0  # uniform over 193 words: 5.26
    assert (cell / "log.txt").read_text().count("epoch") == 3
    mtime = (cell / "record.json").stat().st_mtime_ns

    again = run_bench("run", "--methods", "vae", "--corpora", "synthetic", "--preset", "smoke",
                      "--results-dir", str(results))
    assert again.exit_code == 0
    assert "0 trained, 0 rescored, 1 cached" in again.output and "other package versions" not in again.output
    assert (cell / "record.json").stat().st_mtime_ns == mtime

    record["provenance"]["versions"]["numpy"] = "1.0.0"  # as if made before an upgrade
    (cell / "record.json").write_text(json.dumps(record))
    older = run_bench("run", "--methods", "vae", "--corpora", "synthetic", "--preset", "smoke",
                      "--results-dir", str(results))
    assert older.exit_code == 0 and "1 cached" in older.output
    assert "note: 1 cached cell(s) were made under other package versions: numpy 1.0.0 (installed" in older.output

    board = run_bench("leaderboard", "--results-dir", str(results))
    assert board.exit_code == 0
    assert f"{mean['probe_accuracy']:.3f}" in board.output

    latex = run_bench("leaderboard", "--results-dir", str(results), "--format", "latex")
    assert "\\toprule" in latex.output

    bad = run_bench("leaderboard", "--results-dir", str(results), "--metric", "probe_acuracy")
    assert bad.exit_code == 2 and "unknown metric 'probe_acuracy'" in bad.output


def test_leaderboard_without_records_says_what_to_do(run_bench, tmp_path):
    res = run_bench("leaderboard", "--results-dir", str(tmp_path))
    assert res.exit_code == 2
    assert "run `bench run` first" in res.output


def test_the_old_executor_option_is_refused_with_its_new_name(run_bench, tmp_path):
    """``--backend`` (renamed ``--executor``, so it cannot be confused with ``--backbone``) is no alias: it is
    refused in one line naming the new option, before anything runs (click alone would suggest --backbone)."""
    args = ["run", "-m", "ae", "--set", "epochs=1", "--set", "max_train_sentences=200", "--no-references",
            "--threads", "1", "--results-dir", str(tmp_path)]
    for extra in (["--backend", "local"], ["--backend-option", "a=1"], ["--backend", "local", "--executor", "local"]):
        old = run_bench(*args, *extra)
        assert old.exit_code == 2 and "--backend was renamed --executor" in old.output, old.output
        assert "Traceback" not in old.output and not (tmp_path / "runs").exists()
    helped = run_bench("run", "--help")
    assert "--executor" in helped.output and "--backend " not in helped.output and "--backbone" in helped.output


def test_every_missing_corpus_is_named_at_once(run_bench, tmp_path):
    """`bench run --methods hsvae,mat --corpora yelp,yahoo` on a fresh machine: one message names both corpora
    and every split each lacks, with the commands that fetch them (issue 23: it took one try per corpus)."""
    empty = tmp_path / "data"
    empty.mkdir()
    res = run_bench("run", "--methods", "hsvae,mat", "--corpora", "yelp,yahoo", "--data-dir", str(empty),
                    "--results-dir", str(tmp_path / "r"))
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1, res.output
    assert "yahoo (train, test), yelp (train, test)" in res.output
    assert f"bench data download yahoo --data-dir {empty}; bench data download yelp --data-dir {empty}" in res.output
