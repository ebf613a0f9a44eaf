"""``bench``: the command-line entry point.

Subcommands are imported only when invoked (click's lazy-group pattern), so ``bench --help`` and
``bench list`` answer without importing torch.  User errors become one line on stderr and exit code 2.
"""
from __future__ import annotations

import importlib
from pathlib import Path

import click

#: subcommand name → "module:attribute"; a new command is one line here.
LAZY_COMMANDS = {
    "run": ("bench.cli.run:run", "Train and evaluate methods on corpora; print a leaderboard."),
    "list": ("bench.cli.listing:list_", "List methods, corpora and presets."),
    "check-plugin": ("bench.cli.check_plugin:check_plugin", "Run the conformance checks on a method or plugin."),
    "data": ("bench.cli.data:data", "Corpus summary (info) and verified download (download)."),
    "leaderboard": ("bench.cli.leaderboard:leaderboard", "Print a table from stored run records."),
    "frontier": ("bench.cli.frontier:frontier", "Accuracy–sparsity frontiers of swept methods from stored records."),
    "plot": ("bench.cli.plot:plot", "Draw PNG figures from stored run records."),
    "profile": ("bench.cli.profile:profile", "Measure training/encoding throughput, MFU and memory."),
    "encode": ("bench.cli.use:encode", "Encode sentences (one a line) with a trained cell into .npy/.npz codes."),
    "explore": ("bench.cli.use:explore", "An offline HTML page: which sentences turn each dimension of a cell on."),
    "export": ("bench.cli.use:export", "Export an embedding-track sparse autoencoder as a sentence-transformers model."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS:
            module, _, attr = LAZY_COMMANDS[name][0].partition(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, LAZY_COMMANDS[name][1]) for name in sorted(LAZY_COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):
        from bench.errors import USER_ERRORS, is_out_of_space, no_space

        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            raise ReportedError(str(exc)) from None
        except OSError as exc:
            if not is_out_of_space(exc):
                raise
            where = Path(exc.filename).parent if exc.filename else Path.cwd()
            raise ReportedError(str(no_space(where, None))) from None

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in self.list_commands(ctx):
            from sparsebench.hints import did_you_mean

            commands = self.list_commands(ctx)
            raise click.UsageError(f"no such command {name!r}{did_you_mean(name, commands)}; commands: {', '.join(commands)}")
        return super().resolve_command(ctx, args)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sparsebench", prog_name="bench")
def cli() -> None:
    """sparsebench: train and compare unsupervised sparse sentence representations.

    \b
    Quick start:
      bench run --methods vae --corpora synthetic --preset smoke
      bench leaderboard
    """


class ReportedError(click.ClickException):
    """A user error shown as one line, ``error: ...``, with exit code 2 and no traceback."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True, file=file)


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="bench")
    except SystemExit as exc:
        if exc.code in (130, 143):
            # Interrupted, and cleaned up already (workers stopped, scratch removed, the line printed).
            # Exit with the code now: CPython re-raises SIGINT at exit when a KeyboardInterrupt landed
            # inside an exec() (a dataclass made during a lazy import), which would turn 130 into -2.
            import os
            import sys

            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(exc.code)
        raise
