"""``bench profile``: how fast a method trains and encodes here, and how close to the hardware."""
from __future__ import annotations

import json
from pathlib import Path

import click


@click.command()
@click.option("--method", "-m", default="hsvae", show_default=True)
@click.option("--corpus", "-c", default="yahoo", show_default=True,
              help="synthetic, yahoo, dbpedia or yelp (shaped synthetic data when the files are absent).")
@click.option("--preset", "-p", default="paper", show_default=True)
@click.option("--steps", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=None, help="[default: the preset's]")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override a hyperparameter (latent_dim=768).")
@click.option("--train-split", default="train", show_default=True,
              help="The split the cell trains on (the first split on disk stands in when it is absent).")
@click.option("--backbone", type=click.Choice(["text", "embedding"]), default=None,
              help="As bench run: the GRU text autoencoder or a frozen sentence encoder (needs --encoder). [default: text]")
@click.option("--encoder", default=None, help="Frozen sentence encoder of the embedding backbone, as bench run.")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="Torch and BLAS threads, as bench run's --threads. [default: usable cores, less the busy ones]")
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda or cuda:N.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option("--baseline", is_flag=True, help="Also profile the straightforward padded implementation and report the speed-up.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def profile(method, corpus, preset, steps, batch_size, sets, train_split, backbone, encoder, threads, device, data_dir,
            baseline, as_json) -> None:
    """Training tokens/s, encoding sentences/s, FLOPs, achieved GFLOP/s, matmul peak, MFU, peak memory.

    It measures the cell `bench run` would run with the same method, corpus, preset, --set, split,
    backbone and encoder: the same resolved configuration (its cell id is printed), data preparation
    (max_vocab, subsample, embeddings), model, batching, precision and optimiser."""
    import dataclasses

    from bench.config.resolve import parse_overrides
    from bench.perf.profile import ProfileSettings, profile as run_profile
    from bench.run.slots import parse_device
    from bench.threads import cell_threads, pinned_threads

    device = parse_device(device)  # a GPU that is not here: one line, exit 2
    overrides = parse_overrides([*sets, *([f"backbone={backbone}"] if backbone else [])])
    settings = ProfileSettings(method, corpus, preset, steps, device=device, data_dir=data_dir, batch_size=batch_size,
                               overrides=overrides, train_split=train_split, encoder=encoder or "")
    with pinned_threads(cell_threads(1, threads) if device == "cpu" else threads):
        fast = run_profile(settings)
        slow = run_profile(dataclasses.replace(settings, straightforward=True)) if baseline else None
    out = fast.to_dict()
    if slow is not None:
        out["baseline"] = slow.to_dict()
        out["speedup_train"] = fast.train_tokens_per_s / slow.train_tokens_per_s
        out["speedup_encode"] = fast.encode_sentences_per_s / slow.encode_sentences_per_s
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    click.echo(f"{method} on {corpus} ({fast.data}), preset {preset}, {fast.backbone} backbone, batch "
               f"{fast.batch_size}, vocabulary {fast.vocab_size:,}, {fast.device}; cell {fast.cell_id}")
    click.echo(f"  train:  {fast.train_tokens_per_s:,.0f} tokens/s, {fast.train_sentences_per_s:,.1f} sentences/s, "
               f"{fast.train_flops_per_step / 1e9:,.1f} GFLOP/step, {fast.achieved_gflops:,.1f} GFLOP/s, "
               f"MFU {fast.mfu:.0%}")
    click.echo(f"  encode: {fast.encode_sentences_per_s:,.0f} sentences/s, {fast.encode_gflops:,.1f} GFLOP/s, "
               f"MFU {fast.encode_mfu:.0%}")
    click.echo(f"  matmul peak {fast.peak_gflops:,.1f} GFLOP/s; peak memory {fast.peak_rss_mb:,.0f} MB; "
               f"{fast.torch_threads} threads")
    if baseline:
        click.echo(f"  straightforward padded: {out['baseline']['train_tokens_per_s']:,.0f} tokens/s train, "
                   f"{out['baseline']['encode_sentences_per_s']:,.0f} sentences/s encode → speed-up "
                   f"{out['speedup_train']:.2f}× train, {out['speedup_encode']:.2f}× encode")
