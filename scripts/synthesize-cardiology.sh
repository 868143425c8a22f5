#!/usr/bin/env bash
# Synthesizes the cardiology dictation corpus (tests/data/cardiology/{train,test}.txt) with
# festival's us-slt HTS voice as 16 kHz mono WAV files: OUTDIR/train_01.wav … OUTDIR/test_15.wav,
# each beside its transcript (train_01.txt …). Files already present are kept (a cache).
# Usage: scripts/synthesize-cardiology.sh OUTDIR
set -euo pipefail

outdir=${1:?usage: $0 OUTDIR}
corpus="$(cd "$(dirname "$0")/.." && pwd)/tests/data/cardiology"
mkdir -p "$outdir"

for set in train test; do
  n=0
  while IFS= read -r line || [ -n "$line" ]; do
    [ -z "$line" ] && continue
    n=$((n + 1))
    name=$(printf '%s_%02d' "$set" "$n")
    if [ ! -s "$outdir/$name.wav" ]; then
      tmp=$(mktemp "$outdir/.$name.XXXXXX.txt")
      printf '%s\n' "$line" > "$tmp"
      # text2wave writes the voice's own rate (48 kHz for slt HTS); sox resamples to 16 kHz mono.
      text2wave -eval "(voice_cmu_us_slt_arctic_hts)" -o "$tmp.raw.wav" "$tmp"
      sox "$tmp.raw.wav" -r 16000 -c 1 -b 16 "$tmp.wav"
      mv "$tmp.wav" "$outdir/$name.wav"
      rm -f "$tmp" "$tmp.raw.wav"
    fi
    printf '%s\n' "$line" > "$outdir/$name.txt"
  done < "$corpus/$set.txt"
done
echo "$outdir: $(ls "$outdir"/*.wav | wc -l) recordings"
