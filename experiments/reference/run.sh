#!/usr/bin/env bash
# The published reference leaderboard's grids (results/reference/), resumable: rerunning after an
# interruption trains only the missing cells.  Train on the 10K/14K valid sentences, score on test
# (the train texts are not in the corpora folder).  Hours on 2 CPU cores for the text track (cost per
# cell in results/reference/README.md); about 45 s a cell for the embedding track.
#
#   bash experiments/reference/run.sh [text|embedding|diagnostics|embedding-diagnostics|all]
#   DATA: folder of the corpora (default ../shared/data); JOBS: cells at once, one core each (default 1)
# diagnostics: experiments/reference/diagnostics.toml (Yahoo, seed 0, with training curves), rows of
# the text track: KL annealing for the VAEs that lost their code, and TON's prior at HSVAE's sparsity.
# embedding-diagnostics: experiments/reference/embedding_diagnostics.toml, rows of the embedding track.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data}
BENCH=${BENCH:-bench}
track=${1:-all}
common=(--train-split valid --data-dir "$DATA" --threads 1 --jobs "${JOBS:-1}" --resume missing)
if [[ $track == text || $track == all ]]; then
  for corpus in yahoo dbpedia; do
    for seeds in 1 3; do  # seed 0 of every method first, then seeds 1 and 2
      "$BENCH" run -m hsvae,mat,ton,sparsemax,vae,vae-beta0.01,ae -c "$corpus" --seeds "$seeds" --preset reference \
        --results-dir results/reference/text "${common[@]}"
    done
  done
fi
if [[ $track == diagnostics || $track == all ]]; then
  "$BENCH" run --config experiments/reference/diagnostics.toml --data-dir "$DATA" --threads 1 --jobs "${JOBS:-1}" \
    --resume missing --results-dir results/reference/text
fi
if [[ $track == embedding || $track == all ]]; then
  "$BENCH" run -m hsvae,mat,ton,sparsemax,vae,ae,topk,batchtopk,csr -c yahoo,dbpedia --seeds 3 --preset cpu \
    --backbone embedding --encoder all-MiniLM-L6-v2 --results-dir results/reference/embedding "${common[@]}"
fi
if [[ $track == embedding-diagnostics || $track == all ]]; then
  "$BENCH" run --config experiments/reference/embedding_diagnostics.toml --backbone embedding --encoder all-MiniLM-L6-v2 \
    --data-dir "$DATA" --threads 1 --jobs "${JOBS:-1}" --resume missing --results-dir results/reference/embedding
fi
