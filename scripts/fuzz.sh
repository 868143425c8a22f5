#!/usr/bin/env bash
# Fuzzes one target of fuzz/CustomModels.Fuzz with afl-fuzz for a given time:
#   scripts/fuzz.sh arpa|normalizer|multipart [SECONDS]      (make fuzz TARGET=arpa SECONDS=60)
# Builds the targets, instruments the service's own assemblies with sharpfuzz (the copies in
# artifacts/fuzz/bin only), and starts afl-fuzz on the committed seeds in fuzz/corpus/TARGET.
# Findings go to artifacts/fuzz/TARGET (crashes/, hangs/); replay one, uninstrumented, with
#   dotnet run --project fuzz/CustomModels.Fuzz -c Release -- TARGET FILE
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh arpa|normalizer|multipart [SECONDS]}
seconds=${2:-60}
[ -d "fuzz/corpus/$target" ] || { echo "no target '$target' (fuzz/corpus/ has: $(ls fuzz/corpus | xargs))" >&2; exit 2; }

if ! command -v afl-fuzz >/dev/null; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends afl++
fi
dotnet tool restore >/dev/null

bin=artifacts/fuzz/bin
rm -rf "$bin"
dotnet publish fuzz/CustomModels.Fuzz -c Release -o "$bin" --verbosity quiet
for assembly in CustomModels.Speech.dll CustomModels.Core.dll custom-models.dll; do
  dotnet sharpfuzz "$bin/$assembly"
done

out=artifacts/fuzz/$target
rm -rf "$out"
# The target is a .NET program, not a binary built with afl's compiler: afl's checks for one are
# skipped; the runtime needs more than afl's default memory limit and startup time.
AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 \
  afl-fuzz -V "$seconds" -t 5000 -m none -i "fuzz/corpus/$target" -o "$out" -- dotnet "$bin/CustomModels.Fuzz.dll" "$target"

crashes=$(find "$out" -path '*crashes/id:*' | wc -l)
hangs=$(find "$out" -path '*hangs/id:*' | wc -l)
grep -h -E '^(execs_done|execs_per_sec|corpus_count|bitmap_cvg|saved_crashes|saved_hangs) ' "$out"/*/fuzzer_stats || true
echo "$target: $crashes crashes, $hangs hangs in $seconds s (inputs in $out)"
[ "$crashes" -eq 0 ]
