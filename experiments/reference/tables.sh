#!/usr/bin/env bash
# Regenerates the tables, figures and claim verdicts of results/reference/ from the committed records
# alone (no training, no torch):   bash experiments/reference/tables.sh [TRACK ...]  (default: all four)
# Each track is read as published (--as-published): as of the newest scoring protocol among its records, so a
# track published under an older protocol (text/, embedding/: protocol 2) regenerates as it was published.
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH=${BENCH:-bench}
PYTHON=${PYTHON:-python}
tracks=("$@"); [[ ${#tracks[@]} -gt 0 ]] || tracks=(text embedding frontier-text frontier-embedding)
for track in "${tracks[@]}"; do
  dir=results/reference/$track
  [[ -d $dir/runs ]] || { echo "no records under $dir/runs: skipped" >&2; continue; }
  backbone=${track#frontier-}  # the frontier sweeps (experiments/frontier*.toml) read like their backbone's track
  if [[ $backbone == text ]]; then
    metrics=probe_accuracy,probe_accuracy@10,probe_accuracy@100,avg_hoyer,class_kl_mean,class_kl_null,class_kl_excess,nll_per_token
    summary=probe_accuracy,probe_accuracy@100,avg_hoyer,active_dims,class_kl_excess,nll_per_token
    xs="avg_hoyer"
  else
    metrics=probe_accuracy,probe_accuracy@100,l0,active_dims,dead_fraction,fvu,recon_probe_accuracy,avg_hoyer
    summary=probe_accuracy,l0,active_dims,fvu,recon_probe_accuracy
    xs="l0 active_dims avg_hoyer"
  fi
  "$BENCH" leaderboard --as-published --results-dir "$dir" --metric "$metrics" -o "$dir/leaderboard.md" > /dev/null
  # results/reference/README.md's table: the same records, fewer columns (one preset and split per track)
  "$BENCH" leaderboard --as-published --results-dir "$dir" --metric "$summary" --group-by corpus,method,kind,mode \
    -o "$dir/summary.md" > /dev/null
  xargs=(); for x in $xs; do xargs+=(--x "$x"); done
  "$BENCH" plot --as-published --results-dir "$dir" --out "$dir/plots" --modes matched "${xargs[@]}" > /dev/null
  # accuracy–sparsity frontiers (docs/frontiers.md), both sparsity readings, and the claims judged on them; a
  # sweep's frontiers read beside its experiment file, so that a method still short of points is marked in progress
  declared=()
  if [[ $track == frontier-* ]]; then
    declared=(--config "$("$PYTHON" experiments/reference/sweep_progress.py --experiment-of "$dir")")
  fi
  for x in avg_hoyer active_dims; do
    "$BENCH" frontier --as-published --results-dir "$dir" --x "$x" -o "$dir/frontiers_$x.md" --plot "$dir/plots/frontiers_$x.png" \
      "${declared[@]}" > /dev/null
  done
  "$PYTHON" -m bench.paper.claims "$dir" --as-published > "$dir/frontier_claims.md" || rm -f "$dir/frontier_claims.md"
  if [[ $track == frontier-* ]]; then  # how far the sweep has come, from its experiment file and the records
    "$PYTHON" experiments/reference/sweep_progress.py "$dir"
  fi
  if [[ $track == text ]]; then  # the single-point verdicts, kept as history (results/reference/README.md copies them)
    "$PYTHON" -m bench.paper.claims "$dir" --single-point --as-published > "$dir/claims.md" || rm -f "$dir/claims.md"
  fi
done
"$PYTHON" -m bench.paper.docs  # the copies of the summaries in results/reference/README.md (and the other generated doc tables)
