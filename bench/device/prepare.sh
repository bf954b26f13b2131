#!/usr/bin/env bash
# Prepares bench/device/carry/ (git-ignored) on a CPU machine before a GPU session:
#   carry/wheels/  the wheels of wheels.txt, for CPython 3.12 manylinux x86_64 (pip download);
#                  one over 8 MiB as NAME.whl.tar.xz (see below)
#   carry/data/    Set5/HR, Set14/HR and T91/HR copied from the data root $SR_JAX_DATA
# Idempotent: wheels already there are kept, wheels no longer listed are removed, data is
# re-copied. Prints each item's size and the total; fails over 60 MiB (the GPU run carries
# at most 64 MiB of the working tree). Usage: SR_JAX_DATA=ROOT bash bench/device/prepare.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CARRY="$HERE/carry"
LIMIT_MIB=60
DATA_SETS=(Set5 Set14 T91)

names() {  # the distribution names of a list file, normalized (lower case, '_' for '-' and '.')
  sed -e 's/#.*//' -e 's/[[:space:]]//g' "$1" | grep -v '^$' | sed -e 's/[<>=!~;\[].*//' \
    | tr 'A-Z' 'a-z' | tr -- '-.' '__'
}

# 1. wheels.txt must not name what the image already has.
clash="$(comm -12 <(names "$HERE/wheels.txt" | sort -u) <(names "$HERE/gpu_image.txt" | sort -u))"
if [[ -n "$clash" ]]; then
  echo "error: wheels.txt names distributions the GPU image already has: $clash" >&2
  exit 1
fi

# 2. Wheels. A wheel over REPACK_MIB (opencv-python-headless: 54 MiB zipped) is kept as
# NAME.whl.tar.xz instead: its unzipped files, xz-compressed (about 2/3 of the zip); run.sh
# extracts that into the same --target folder, which is what `pip install --target` does with
# a wheel that has no .data folder (checked here). The download itself goes to a temporary folder.
REPACK_MIB=8
if [[ -x "$HERE/../../.venv/bin/python" ]]; then PY="$HERE/../../.venv/bin/python"; else PY=python3; fi
mkdir -p "$CARRY/wheels"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
mapfile -t PINS < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$HERE/wheels.txt" | grep -v '^$')
wanted=()
for pin in "${PINS[@]}"; do
  if [[ "$pin" != *==* ]]; then echo "error: $pin in wheels.txt is not pinned (NAME==VERSION)" >&2; exit 1; fi
  name="$(echo "${pin%%==*}" | tr 'A-Z' 'a-z' | tr -- '-.' '__')"
  version="${pin#*==}"
  wanted+=("${name}-${version}-")
  have=""
  for f in "$CARRY/wheels"/*; do
    [[ -e "$f" ]] || continue
    base="$(basename "$f" | tr 'A-Z' 'a-z')"
    [[ "$base" == "${name}-${version}-"* && "$base" != *.partial ]] && have="$f"
  done
  [[ -n "$have" ]] && continue
  rm -rf "$TMP/dl" && mkdir -p "$TMP/dl"
  "$PY" -m pip download --quiet --no-deps --only-binary=:all: --dest "$TMP/dl" \
    --python-version 3.12 --implementation cp --abi cp312 --abi abi3 --abi none \
    --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux_2_27_x86_64 --platform manylinux_2_28_x86_64 --platform any \
    "$pin" 2> >(grep -v "is neither a file nor a directory" >&2)
  whl="$(ls "$TMP/dl"/*.whl)"
  if (( $(stat -c %s "$whl") > REPACK_MIB * 1048576 )); then
    echo "repacking $(basename "$whl") as .whl.tar.xz (a minute or two)"
    mkdir -p "$TMP/x" && (cd "$TMP/x" && "$PY" -m zipfile -e "$whl" .)
    if compgen -G "$TMP/x/*.data" > /dev/null; then
      echo "error: $(basename "$whl") has a .data folder; it cannot be repacked" >&2; exit 1
    fi
    tar -C "$TMP/x" -cf - . | xz -6 -T0 > "$CARRY/wheels/$(basename "$whl").tar.xz.partial"
    mv "$CARRY/wheels/$(basename "$whl").tar.xz.partial" "$CARRY/wheels/$(basename "$whl").tar.xz"
    rm -rf "$TMP/x"
  else
    mv "$whl" "$CARRY/wheels/"
  fi
done
for f in "$CARRY/wheels"/*; do  # leftovers, and wheels of pins no longer listed
  [[ -e "$f" ]] || continue
  base="$(basename "$f" | tr 'A-Z' 'a-z')"
  keep=""
  for w in "${wanted[@]}"; do [[ "$base" == "$w"* && "$base" != *.partial ]] && keep=1; done
  [[ -n "$keep" ]] || { echo "removing $(basename "$f") (not in wheels.txt)"; rm -f "$f"; }
done

# 3. Data.
if [[ -z "${SR_JAX_DATA:-}" ]]; then echo "error: set SR_JAX_DATA to the data root" >&2; exit 1; fi
for s in "${DATA_SETS[@]}"; do
  if [[ ! -d "$SR_JAX_DATA/$s/HR" ]]; then
    echo "error: \$SR_JAX_DATA/$s/HR is missing (python -m sr_jax.data.fetch $s)" >&2; exit 1
  fi
  rm -rf "$CARRY/data/$s"
  mkdir -p "$CARRY/data/$s"
  cp -r "$SR_JAX_DATA/$s/HR" "$CARRY/data/$s/HR"
done

# 4. Sizes.
mib() { awk -v b="$1" 'BEGIN { printf "%7.2f MiB", b / 1048576 }'; }
bytes() { du -sb "$1" | cut -f1; }
for f in "$CARRY/wheels"/*; do echo "$(mib "$(bytes "$f")")  wheels/$(basename "$f")"; done
for s in "${DATA_SETS[@]}"; do echo "$(mib "$(bytes "$CARRY/data/$s")")  data/$s"; done
total="$(bytes "$CARRY")"
echo "$(mib "$total")  total (bench/device/carry)"
if (( total > LIMIT_MIB * 1048576 )); then
  echo "error: bench/device/carry is over $LIMIT_MIB MiB" >&2
  exit 1
fi
