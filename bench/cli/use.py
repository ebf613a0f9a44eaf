"""``bench encode``, ``bench explore`` and ``bench export``: use a trained cell (docs/using-a-trained-cell.md).

Cheap checks (the output's suffix, the input file, the mode) come before the model loads, so a typo
costs a line, not a model load; every refusal is one line (exit 2).
"""
from __future__ import annotations

from pathlib import Path

import click

from bench.cli.options import FolderPath, OutputPath

CELL_HELP = "A cell id (or a unique prefix), a cell folder under <results>/runs/, or its record.json."
OUTPUT_SUFFIXES = (".npy", ".npz")


def _cell_options(command):
    """The options every command of this module shares: where the cell is and what it needs."""
    for option in reversed([
        click.option("--results-dir", type=FolderPath(), default=None,
                     help="Results folder holding runs/ and models/. [default: results, or the folder of a record path]"),
        click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Corpus files (a model saved before encoding.json existed recomputes its vocabulary or "
                          "centring from them; --split reads them)."),
        click.option("--encoder", "encoder_path", default=None,
                     help="The frozen encoder's folder, if it moved since training (checked by its identity)."),
        click.option("--device", default="cpu", show_default=True, help="cpu, cuda or cuda:N."),
    ]):
        command = option(command)
    return command


def _load(cell, results_dir, data_dir, encoder_path, device):
    from bench.run.slots import parse_device
    from bench.use.encoder import load

    return load(cell, results_dir, data_dir=data_dir, encoder=encoder_path, device=parse_device(device),
                say=lambda s: click.echo(s, err=True))


def read_sentences(path: Path) -> list[str]:
    """One sentence a line (UTF-8; ``-`` reads standard input); every line is a row, empty ones too."""
    import sys

    from bench.errors import UserError

    try:
        data = sys.stdin.buffer.read() if str(path) == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise UserError(f"--input {path}: cannot be read ({exc.strerror or exc}); give a text file with one "
                        "sentence a line") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UserError(f"--input {path}, line {line}: not UTF-8 text; save the file as UTF-8") from None
    lines = text.splitlines()
    if not lines:
        raise UserError(f"--input {path} is empty: give one sentence a line")
    return lines


def _check_output(output: Path) -> None:
    from bench.errors import UserError

    if output.suffix.lower() not in OUTPUT_SUFFIXES:
        raise UserError(f"--output {output}: unknown suffix {output.suffix or '(none)'!r}; use .npy (the codes) or "
                        ".npz (codes, activity, mode and cell id)")
    if output.exists() and output.is_dir():
        raise UserError(f"--output {output} is a folder; give a file name ending in .npy or .npz")


@click.command()
@click.argument("cell")
@click.option("--input", "input_path", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path), required=True,
              help="Text file, one sentence a line (- for standard input).")
@click.option("--output", type=OutputPath(), required=True,
              help="codes.npy (float32 [N, D]) or codes.npz (codes, activity, mode, cell_id).")
@click.option("--mode", default=None, help="Encode mode (bench list methods). [default: the method's default]")
@click.option("--batch-size", type=click.IntRange(min=1), default=None, help="[default: the cell's eval batch size]")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of a stochastic mode's draws.")
@_cell_options
def encode(cell, input_path, output, mode, batch_size, seed, results_dir, data_dir, encoder_path, device) -> None:
    """Encode sentences with a trained cell: CELL's codes of every line of --input, saved to --output.

    On the text backbone a sentence is read as the cell's corpus was (lower-cased when its vocabulary is,
    split on whitespace, cut to the corpus's length, unknown words _UNK); on the embedding backbone it goes
    through the cell's frozen encoder, centred and scaled as in training."""
    import io

    import numpy as np

    from bench.store.results import atomic_write_bytes

    _check_output(output)
    sentences = read_sentences(input_path)
    enc = _load(cell, results_dir, data_dir, encoder_path, device)
    mode = enc.check_mode(mode)
    codes, activity, rule = enc.encode_with_activity(sentences, mode, batch_size=batch_size, progress=None, seed=seed)
    buffer = io.BytesIO()
    if output.suffix.lower() == ".npy":
        np.save(buffer, codes, allow_pickle=False)
    else:
        np.savez_compressed(buffer, codes=codes, activity=activity.astype(np.float32), mode=np.array(mode),
                            cell_id=np.array(enc.cell_id), activity_rule=np.array(rule or ""))
    atomic_write_bytes(output, buffer.getvalue())
    unknown = ""
    if enc.backbone == "text":
        unk = enc.state["words"].index("_UNK")
        ids = [t for s in sentences for t in enc.tokenize(s)[:-1]]
        unknown = f"; {sum(t == unk for t in ids)} of {len(ids)} words unknown (_UNK)"
    click.echo(f"{len(sentences)} sentences → {output} ({codes.shape[0]}×{codes.shape[1]} float32, mode {mode}, "
               f"cell {enc.cell_id}); {float(activity.sum(1).mean()):.2f} active dimensions a sentence "
               f"({rule}){unknown}")


@click.command()
@click.argument("cell")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for index.html (created).")
@click.option("--input", "input_path", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path), default=None,
              help="Text file, one sentence a line (no labels). [default: --split test]")
@click.option("--split", default=None, help="A split of the cell's corpus, with its labels. [default: test]")
@click.option("--mode", default=None,
              help="Encode mode. [default: the method's deterministic headline mode, e.g. hsvae's sparse_mean]")
@click.option("--max-sentences", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="Read at most this many sentences: the first ones of --input, a seeded random sample of --split.")
@click.option("--top", type=click.IntRange(min=1, max=200), default=20, show_default=True,
              help="Top sentences kept per dimension.")
@click.option("--batch-size", type=click.IntRange(min=1), default=None, help="[default: the cell's eval batch size]")
@_cell_options
def explore(cell, out_dir, input_path, split, mode, max_sentences, top, batch_size, results_dir, data_dir,
            encoder_path, device) -> None:
    """Write a static HTML page (works offline) showing which sentences turn each dimension of CELL on.

    Per dimension: how often it is active, its class distribution and purity (with a split's labels), its
    top sentences; per sentence: its active dimensions; a search box; sorting by activity or purity."""
    from bench.errors import UserError
    from bench.use.explore import explore_cell

    if input_path is not None and split is not None:
        raise UserError("give --input FILE or --split NAME, not both")
    sentences = read_sentences(input_path)[:max_sentences] if input_path is not None else None
    enc = _load(cell, results_dir, data_dir, encoder_path, device)
    mode = enc.check_mode(mode or enc.explore_mode)  # the deterministic headline: the same page on every run
    labels = None
    if sentences is None:
        from tasks.corpora import load_corpus

        split = split or "test"
        corpus = load_corpus(enc.spec.corpus, splits=(split,), **({"data_dir": data_dir} if data_dir else {}))
        part = corpus.split(split)
        sentences, labels = part.texts(corpus.vocab), part.labels
        source = f"{enc.spec.corpus} {split} split"
        if len(sentences) > max_sentences:  # a split may be sorted by class: a seeded sample keeps every class
            import numpy as np

            keep = np.sort(np.random.default_rng(0).choice(len(sentences), max_sentences, replace=False))
            sentences, labels = [sentences[i] for i in keep], labels[keep]
            source += f", a seeded sample of {max_sentences:,} of its {len(part.labels):,} sentences"
    else:
        source = str(input_path)
    path = explore_cell(enc, sentences, out_dir, mode=mode, labels=labels, source=source, batch_size=batch_size,
                        progress=None, top=top)
    click.echo(f"{path} ({path.stat().st_size / 1e6:.2f} MB): {len(sentences)} sentences, {enc.latent_dim} dimensions, "
               f"mode {mode}; open it in a browser (works offline)")


@click.command()
@click.argument("cell")
@click.argument("out_dir", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["sentence-transformers"]), default="sentence-transformers",
              show_default=True, help="What to write: a sentence-transformers SparseEncoder folder.")
@click.option("--no-check", is_flag=True, help="Skip encoding a few sentences both ways before keeping the folder.")
@_cell_options
def export(cell, out_dir, fmt, no_check, results_dir, data_dir, encoder_path, device) -> None:
    """Export CELL (an embedding-track topk or csr cell) to DIR as a sentence-transformers SparseEncoder.

    DIR holds the frozen base model and a SparseAutoEncoder with the trained weights, the training
    centring and scale folded into them: SparseEncoder(DIR).encode(...) gives the cell's codes.  BatchTopK
    (a learnt threshold, not a top k), MLP encoders, other methods and the text backbone are refused,
    with the reason; `bench encode` and bench.use.load encode every cell."""
    from bench.use.export import export_sentence_transformers, sae_parameters

    enc = _load(cell, results_dir, data_dir, encoder_path, "cpu" if device is None else device)
    sae_parameters(enc)  # refusals before anything is written
    checked = export_sentence_transformers(enc, out_dir, check=not no_check)
    how = (f"checked on {checked['sentences']} sentences: same active latents, max difference "
           f"{checked['max_abs_difference']:.2g}" if checked else "not checked")
    click.echo(f"{out_dir}: SparseEncoder of cell {enc.cell_id} ({enc.spec.method}, {enc.latent_dim} latents, "
               f"k={enc.model.config.k}) on {enc.frozen_encoder.name} ({how}); load it with "
               f"SparseEncoder({str(out_dir)!r})")
