#!/usr/bin/env bash
# The GPU checks of the speed work, as one script for a lent GPU machine (docs/performance.md):
#   the cuDNN packed path against the padded one (tests), `bench profile --device cuda` at the paper
#   and reference presets, the smoke grid with --devices cuda:0 --per-device 4, and one paper cell.
#   DATA=folder with yahoo/ and dbpedia/ (default ../shared/data); OUT=folder for the logs and records.
# Where nothing can be fetched, WHEELS= a folder of the wheels of packages missing there (entmax,
# jsonschema and its needs): they are installed with --no-index.
set -uo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
OUT=${OUT:-gpu-check}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
if [[ -n ${WHEELS:-} ]]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site "$WHEELS"/*.whl
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$PWD  # the checkout itself, for this shell and the cell workers
bench() { python3 -m bench "$@"; }
step() { echo; echo "=== $* ($(date +%T))"; }
step environment
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name(), 'cudnn', torch.backends.cudnn.version())"
nproc
step "CUDA fast path = straightforward path (losses, gradients), every method"
python3 -m pytest -q -p no:cacheprovider tests/unit/bench/test_fast_path.py -k cuda 2>&1 | tail -3
for preset in paper reference; do
  for corpus in yahoo dbpedia; do
    step "profile hsvae $corpus $preset fp32"
    bench profile --method hsvae --corpus "$corpus" --preset "$preset" --device cuda --data-dir "$DATA" --steps 40 \
      --baseline --json > "$OUT/profile-$corpus-$preset-fp32.json" && python3 - "$OUT/profile-$corpus-$preset-fp32.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
b = d["baseline"]
print(f"{d['train_tokens_per_s']:,.0f} tokens/s train (MFU {d['mfu']:.2f}), {d['encode_sentences_per_s']:,.0f} sentences/s "
      f"encode; padded {b['train_tokens_per_s']:,.0f} tokens/s; speed-up {d['speedup_train']:.2f}x train, "
      f"{d['speedup_encode']:.2f}x encode; peak {d['peak_gflops']:,.0f} GFLOP/s fp32; {d['peak_rss_mb']:,.0f} MB GPU")
PY
  done
done
step "profile hsvae yahoo paper bf16 (autocast)"
bench profile --method hsvae --corpus yahoo --preset paper --device cuda --data-dir "$DATA" --steps 40 \
  --set precision=bf16 --json > "$OUT/profile-yahoo-paper-bf16.json" && python3 -c "
import json; d=json.load(open('$OUT/profile-yahoo-paper-bf16.json'))
print(f\"{d['train_tokens_per_s']:,.0f} tokens/s train (MFU {d['mfu']:.3f} of the bf16 peak {d['peak_gflops']:,.0f} GFLOP/s)\")"
step "smoke grid: 6 methods x 2 seeds, --devices cuda:0 --per-device 4"
time bench run -m hsvae,mat,ton,sparsemax,vae,ae -c synthetic --seeds 2 --preset smoke \
  --devices cuda:0 --per-device 4 --results-dir /tmp/gpu-smoke --no-references 2>&1 | tail -22
step "one paper cell: hsvae on yahoo (valid split), preset paper"
time bench run -m hsvae -c yahoo --preset paper --train-split valid --data-dir "$DATA" \
  --devices cuda:0 --results-dir /tmp/gpu-paper --no-references 2>&1 | tail -12
tar czf "$OUT/records.tgz" -C /tmp gpu-smoke/runs gpu-paper/runs 2>/dev/null
step done
