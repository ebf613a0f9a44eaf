"""``bench data``: inspect and fetch corpora.  Must not import torch (a test enforces it)."""
from __future__ import annotations

from pathlib import Path

import click

DATA_DIR_OPTION = click.option(
    "--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Folder of corpus files (default: $SPARSEBENCH_DATA, else the per-user cache).")


@click.group("data")
def data() -> None:
    """Inspect (info) and fetch (download) corpora."""


@data.command("info")
@click.argument("name")
@DATA_DIR_OPTION
def info(name: str, data_dir: Path | None) -> None:
    """Table-2-style summary of corpus NAME (a built-in, a plugin or a user file).

    Lengths are tokens per sentence without the <EOS> every sentence ends with.
    """
    from tabulate import tabulate

    from tasks.corpora import corpus_info
    from tasks.corpora.datadir import describe_data_dir, download_hint
    from tasks.corpora.stats import corpus_stats
    from tasks.errors import CorpusError

    entry = corpus_info(name)
    present = entry.present(data_dir) if entry.present else None
    if present is not None and not present:
        raise CorpusError(f"no split of {name!r} found: {download_hint(name, 'all', data_dir)}")
    options = {"data_dir": data_dir} if present is None else {"data_dir": data_dir, "splits": present}
    corpus = entry.loader(**options)
    stats = corpus_stats(corpus)

    click.echo(f"corpus: {corpus.name} ({entry.description})")
    if entry.layout is not None:  # files in <data dir>/<name>/: say which folder and why
        click.echo(f"data folder: {describe_data_dir(data_dir)}")
    click.echo(f"source: {corpus.source}")
    vocab_note = corpus.notes.get("vocab", "")
    click.echo(f"vocabulary: {corpus.vocab_size:,} ids" + (f" ({vocab_note})" if vocab_note else ""))
    click.echo(f"max length: {corpus.max_length - 1} tokens + <EOS>; longer sentences are cut and counted below")
    click.echo("")
    rows = [[s.name, f"{s.sentences:,}", s.min_length, f"{s.avg_length:.1f}", s.max_length, f"{s.truncated:,}",
             Path(corpus.notes.get(f"file:{s.name}", "")).name] for s in stats]
    if present is not None:
        for split in ("train", "valid", "test"):
            if split not in corpus.splits:
                rows.insert(("train", "valid", "test").index(split),
                            [split, "missing", "", "", "", "", f"bench data download {name}"])
    click.echo(tabulate(rows, headers=["split", "sentences", "min len", "avg len", "max len", "truncated", "file"],
                        disable_numparse=True))
    click.echo("")
    click.echo(f"classes: {corpus.n_classes}")
    class_rows = [[c, corpus.class_names[c], *(f"{s.class_counts[c]:,}" for s in stats)]
                  for c in range(corpus.n_classes)]
    click.echo(tabulate(class_rows, headers=["id", "name", *(s.name for s in stats)], disable_numparse=True))
    click.echo("")
    click.echo(f"checksum: {corpus.checksum} (sha256 of vocabulary, ids and labels of the splits above)")


@data.command("download")
@click.argument("name")
@DATA_DIR_OPTION
@click.option("--base-url", default=None, metavar="URL",
              help="Raw-file host or mirror with the owner/repo/commit/path layout "
                   "(default: https://raw.githubusercontent.com).")
def download(name: str, data_dir: Path | None, base_url: str | None) -> None:
    """Fetch corpus NAME (yahoo, dbpedia, yelp) from its public repository, verify every file, write atomically."""
    from tasks.corpora.download import DEFAULT_BASE_URL, download as fetch_all

    paths = fetch_all(name, data_dir, base_url or DEFAULT_BASE_URL, echo=click.echo)
    click.echo(f"{name}: {len(paths)} files verified; try: bench data info {name}"
               + (f" --data-dir {data_dir}" if data_dir else ""))
