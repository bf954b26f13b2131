#!/usr/bin/env bash
# The GPU session's one command (tracker issue 17), from the repository root:
#   OUT=$OUT bash bench/device/run.sh              # on the GPU machine, about 9 minutes at most
#   OUT=/tmp/x bash bench/device/run.sh --cpu-smoke # here: the same parts at tiny sizes on the CPU
# Needs bench/device/carry/ from bench/device/prepare.sh (wheels the image lacks, Set5/Set14/T91).
# Parts, in order of value, each time-boxed (`timeout`) against one overall budget and each
# writing its JSON/log under $OUT as soon as it ends, so a timeout keeps what was done:
#   a. train-step throughput, JAX vs PyTorch (fp32, bf16) in one process: EDSR ×4 b64/LR48,
#      RRDBNet ×4 b64/LR32 and b16/LR32, SwinIR ×4 at its recipe's b32/LR48; data: T91
#   b. RRDBNet model.scan_mode loop vs unroll (b16/LR32): step and compile time
#   c. EDSR ×4 trained on T91 for a step count sized to about 4 minutes (from part a's EDSR rate
#      and the time left), validated on Set5/Set14; --workdir=$WORK/edsr_4min
#   d. summary.json and summary.md: every part's result, nvidia-smi, versions, date
# The device tool brings back at most 8 files from $OUT, so the parts write into a scratch folder
# ($WORK) and, after each part, $OUT gets run.log, summary.json, summary.md and results.tar.gz
# (the scratch folder: every part's JSON and log, part c's metrics and events; no checkpoints).
# Env: OUT (required), PYTHON (default python3; --cpu-smoke: .venv/bin/python if present),
# BUDGET_S (overall seconds; default 510, --cpu-smoke 270), C_STEPS (part c's steps, overriding),
# WORK_DIR (the scratch folder; default a new temporary one).
set -uo pipefail
SMOKE=0
for arg in "$@"; do
  case "$arg" in
    --cpu-smoke) SMOKE=1 ;;
    *) echo "usage: OUT=DIR bash bench/device/run.sh [--cpu-smoke]" >&2; exit 2 ;;
  esac
done
: "${OUT:?set OUT to the output folder}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
WORK="${WORK_DIR:-$(mktemp -d)/sr_jax_device}"  # WORK_DIR: the scratch folder, e.g. a test's
mkdir -p "$WORK/logs"
CARRY="$ROOT/bench/device/carry"
START=$(date +%s)
if (( SMOKE )); then BUDGET=${BUDGET_S:-270}; else BUDGET=${BUDGET_S:-510}; fi
RESERVE=15  # seconds kept for part d
: > "$WORK/parts.tsv"
: > "$OUT/run.log"
log() { echo "[run.sh +$(( $(date +%s) - START ))s] $*" | tee -a "$OUT/run.log"; }
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >> "$WORK/parts.tsv"; }  # name status seconds file note

# --- Python, packages, data ---------------------------------------------------------------------
if [[ -n "${PYTHON:-}" ]]; then :
elif (( SMOKE )) && [[ -x "$ROOT/.venv/bin/python" ]]; then PYTHON="$ROOT/.venv/bin/python"
else PYTHON=python3; fi
PYVER="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
SITE=""
if compgen -G "$CARRY/wheels/*.whl*" > /dev/null; then
  if [[ "$PYVER" == 3.12 ]]; then
    SITE="$(mktemp -d)/site"
    log "installing the carried wheels into $SITE"
    t0=$(date +%s)
    if ! "$PYTHON" -m pip install --quiet --no-deps --no-index --target="$SITE" \
        "$CARRY"/wheels/*.whl > "$WORK/logs/install.log" 2>&1; then
      log "pip install failed (logs/install.log); unzipping the wheels instead"
      for w in "$CARRY"/wheels/*.whl; do "$PYTHON" -m zipfile -e "$w" "$SITE"; done
    fi
    for t in "$CARRY"/wheels/*.whl.tar.xz; do  # big wheels, repacked by prepare.sh
      [[ -e "$t" ]] && "$PYTHON" -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2], filter="data")' "$t" "$SITE"
    done
    record install ok $(( $(date +%s) - t0 )) logs/install.log "$(ls "$CARRY"/wheels | wc -l) carried wheels"
  else
    record install "skipped: python $PYVER, the carried wheels are for 3.12" 0 "" "using $PYTHON's own packages"
  fi
else
  record install "skipped: no carried wheels" 0 "" "using $PYTHON's own packages"
fi
export PYTHONPATH="${SITE:+$SITE:}$ROOT${PYTHONPATH:+:$PYTHONPATH}"
if [[ -d "$CARRY/data/T91" ]]; then export SR_JAX_DATA="$CARRY/data"
elif [[ -z "${SR_JAX_DATA:-}" ]]; then echo "error: no bench/device/carry/data and no SR_JAX_DATA" >&2; exit 1; fi
log "python $PYTHON ($PYVER), data $SR_JAX_DATA, budget ${BUDGET}s, smoke=$SMOKE"
# Versions from package metadata (importing jax and torch here would cost seconds); the device
# comes from the benches' JSON.
"$PYTHON" - > "$WORK/versions.json" 2> "$WORK/logs/versions.log" <<'PY'
import json, platform, sys
from importlib import metadata
v = {"python": platform.python_version()}
for name in ("jax", "jaxlib", "flax", "optax", "orbax-checkpoint", "torch", "grain",
             "opencv-python-headless"):
  try:
    v[name] = metadata.version(name)
  except metadata.PackageNotFoundError:
    v[name] = None
json.dump(v, sys.stdout, indent=1)
PY
command -v nvidia-smi > /dev/null && nvidia-smi > "$WORK/nvidia-smi.txt" 2>&1

# snapshot: summary.json, summary.md and results.tar.gz in $OUT from what $WORK holds now.
snapshot() {
  "$PYTHON" "$ROOT/bench/device/summarize.py" "$WORK" --smoke=$SMOKE --torch_note="${TORCH_NOTE:-}" \
    > "$WORK/logs/summary.log" 2>&1 || { cat "$WORK/logs/summary.log" >&2; return 1; }
  cp "$WORK/summary.json" "$WORK/summary.md" "$OUT/"
  tar -C "$WORK" --exclude=checkpoints -czf "$OUT/results.tar.gz.partial" . \
    && mv "$OUT/results.tar.gz.partial" "$OUT/results.tar.gz"
}

# --- time-boxed parts ---------------------------------------------------------------------------
# part NAME CAP FILE CMD...: runs CMD under `timeout min(CAP, time left)`, logs to logs/NAME.log.
part() {
  local name="$1" cap="$2" file="$3"; shift 3
  local left=$(( START + BUDGET - RESERVE - $(date +%s) ))
  if (( left < 20 )); then record "$name" "skipped: out of time" 0 "$file" ""; log "$name: skipped (out of time)"; return 1; fi
  local t=$(( cap < left ? cap : left )) t0=$(date +%s) rc status
  log "$name: up to ${t}s: $*"
  timeout -k 10 "$t" "$@" > "$WORK/logs/$name.log" 2>&1
  rc=$?
  case $rc in 0) status=ok ;; 124|137) status="timeout after ${t}s" ;; *) status="failed (exit $rc)" ;; esac
  record "$name" "$status" $(( $(date +%s) - t0 )) "$file" ""
  log "$name: $status in $(( $(date +%s) - t0 ))s"
  snapshot
  [[ $rc == 0 ]]
}
torch_flags=(--torch --torch_variants=fp32,bf16)
if ! "$PYTHON" -c "import importlib.util, sys; sys.exit(not importlib.util.find_spec('torch'))"; then
  torch_flags=(); log "no torch: part a times JAX only"
fi
BENCH=("$PYTHON" -m sr_jax.bench --compilation_cache=)
T91=("--config.data.dirs=('T91',)")  # after --config=: absl reads the recipe first
if (( SMOKE )); then
  TINY=(--config.model.num_blocks=1 --config.model.features=8)
  RTINY=("${TINY[@]}" --config.model.growth=4)
  STINY=(--config.model.embed_dim=12 "--config.model.depths=(1,)" "--config.model.num_heads=(2,)"
         --config.model.window_size=4 --config.model.upsample_features=8)
  RUNS=(--steps=1 --rounds=1 --warmup=0)
  EB=2 EP=8 RB1=4 RB2=2 RP=8 SB=2 SP=8
  ADATA=(--data=random)  # the real-input path once, in a_edsr
else
  TINY=() RTINY=() STINY=()
  RUNS=(--steps=8 --rounds=3)
  EB=64 EP=48 RB1=64 RB2=16 RP=32 SB=32 SP=48
  ADATA=()
fi
if (( ${#torch_flags[@]} )); then TORCH_NOTE=""; else TORCH_NOTE="skipped: no torch"; fi
# a.
f=edsr_x4_b${EB}_p${EP}.json
part a_edsr 110 "$f" "${BENCH[@]}" --config=configs/edsr.py:x4 "${T91[@]}" --batch=$EB --patch=$EP "${RUNS[@]}" \
  "${torch_flags[@]}" "${TINY[@]}" --json="$WORK/$f"
f=rrdbnet_x4_b${RB1}_p${RP}.json
part a_rrdbnet_b${RB1} 130 "$f" "${BENCH[@]}" --config=configs/rrdbnet.py:x4 "${T91[@]}" --batch=$RB1 --patch=$RP \
  "${RUNS[@]}" "${ADATA[@]}" "${torch_flags[@]}" "${RTINY[@]}" --json="$WORK/$f"
f=rrdbnet_x4_b${RB2}_p${RP}.json
if (( SMOKE )); then  # the CPU's minutes are few: this is a_rrdbnet_b${RB1}'s code path again
  record a_rrdbnet_b${RB2} "skipped: smoke (same code path as a_rrdbnet_b${RB1})" 0 "" ""
else part a_rrdbnet_b${RB2} 100 "$f" "${BENCH[@]}" --config=configs/rrdbnet.py:x4 "${T91[@]}" --batch=$RB2 --patch=$RP \
  "${RUNS[@]}" "${ADATA[@]}" "${torch_flags[@]}" "${RTINY[@]}" --json="$WORK/$f"
fi
f=swinir_x4_b${SB}_p${SP}.json
part a_swinir 130 "$f" "${BENCH[@]}" --config=configs/swinir.py:x4 "${T91[@]}" --batch=$SB --patch=$SP "${RUNS[@]}" \
  "${ADATA[@]}" "${torch_flags[@]}" "${STINY[@]}" --json="$WORK/$f"
# b. (no PyTorch, random input only: the step and its compile time)
for mode in loop unroll; do
  f=rrdbnet_x4_b${RB2}_p${RP}_${mode}.json
  part b_rrdbnet_$mode $([[ $mode == loop ]] && echo 80 || echo 150) "$f" "${BENCH[@]}" \
    --config=configs/rrdbnet.py:x4 "${T91[@]}" --batch=$RB2 --patch=$RP "${RUNS[@]}" --data=random \
    --config.model.scan_mode=$mode "${RTINY[@]}" --json="$WORK/$f"
done
# c.
left=$(( START + BUDGET - RESERVE - $(date +%s) ))
if (( SMOKE )); then
  STEPS=${C_STEPS:-2}
  EVAL=$STEPS  # one validation: on the CPU it is most of the part's time
  C_EXTRA=("${TINY[@]}" --config.train.batch_size=2 --config.data.hr_patch=32
           --config.train.log_every=1)
else
  # Steps for 80% of min(4 min, the time left) less ~60 s of start, compiles and validation, at
  # half the patch rate part a measured for EDSR (batch 64) with real input; 0: too little left.
  STEPS=${C_STEPS:-$("$PYTHON" - "$WORK/edsr_x4_b${EB}_p${EP}.json" "$left" <<'PY'
import json, sys
try:
  r = json.load(open(sys.argv[1]))
  rate = 0.5 * min(r["step"]["real"]["patches_per_s"], r["input_patches_per_s"]) / 16
except Exception:  # pylint: disable=broad-except
  rate = 15.0
seconds = 0.8 * (min(240, int(sys.argv[2])) - 60)
print(0 if seconds < 30 else max(200, min(50_000, int(rate * seconds) // 100 * 100)))
PY
)}
  C_EXTRA=(--config.train.log_every=100)
  EVAL=$(( STEPS / 2 ))
fi
echo "{\"num_steps\": $STEPS, \"seconds_left\": $left}" > "$WORK/edsr_4min_plan.json"
if (( STEPS < 1 )); then
  record c_edsr_train "skipped: out of time (${left}s left)" 0 "" ""
else part c_edsr_train 300 edsr_4min "$PYTHON" -m sr_jax.main --config=configs/edsr.py:x4 \
  --workdir="$WORK/edsr_4min" --compilation_cache= "${T91[@]}" \
  --config.train.num_steps=$STEPS --config.train.eval_every=$EVAL \
  --config.train.checkpoint_every=$STEPS --config.train.keep_checkpoints=1 --config.train.keep_best=0 \
  "${C_EXTRA[@]}"
fi
# d.
log "summary"
snapshot || exit 1
cat "$OUT/summary.md"
log "done in $(( $(date +%s) - START ))s; \$OUT: $(ls "$OUT" | tr '\n' ' ')"
