#!/usr/bin/env bash
# Synthesizes the cardiology dictation corpus (tests/data/cardiology/{train,test}.txt) as mono WAV
# files: OUTDIR/train_01.wav … OUTDIR/test_15.wav, each beside its transcript (train_01.txt …).
# Files already present are kept (a cache).
# VOICE: slt (default) festival's us-slt HTS voice (female) at 16 kHz;
#        kal8k festival's kal diphone voice (male, festvox-kallpc8k) at 8 kHz, a telephone channel.
# Usage: scripts/synthesize-cardiology.sh OUTDIR [slt|kal8k]
set -euo pipefail

outdir=${1:?usage: $0 OUTDIR [slt|kal8k]}
voice=${2:-slt}
case "$voice" in
  slt) festival_voice="(voice_cmu_us_slt_arctic_hts)"; rate=16000 ;;
  kal8k) festival_voice="(voice_kal_diphone)"; rate=8000 ;;
  *) echo "unknown voice '$voice' (slt or kal8k)" >&2; exit 2 ;;
esac
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
      # text2wave writes the voice's own rate (48 kHz for slt HTS); sox resamples to the set's rate, mono.
      text2wave -eval "$festival_voice" -o "$tmp.raw.wav" "$tmp"
      sox "$tmp.raw.wav" -r "$rate" -c 1 -b 16 "$tmp.wav"
      mv "$tmp.wav" "$outdir/$name.wav"
      rm -f "$tmp" "$tmp.raw.wav"
    fi
    printf '%s\n' "$line" > "$outdir/$name.txt"
  done < "$corpus/$set.txt"
done
echo "$outdir: $(ls "$outdir"/*.wav | wc -l) recordings"
