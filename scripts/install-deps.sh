#!/usr/bin/env bash
# Installs what the project needs and the machine lacks: Debian packages (speech engine, test
# speech synthesis, PostgreSQL for the PostgreSQL tests, Chromium for the dashboard's browser tests,
# benchmark tools) and NuGet packages.
# Safe to run again: it only installs what is missing.
set -euo pipefail

packages=(
  # speech engine
  pocketsphinx pocketsphinx-en-us libpocketsphinx3 libsphinxbase3 ffmpeg espeak-ng
  # acoustic adaptation: sphinx_fe (features), bw, mllr_solve, map_adapt (sphinxtrain)
  sphinxtrain sphinxbase-utils
  # test data, test speech and audio tools; festival's kal voice comes in one package only, 8 kHz
  # (festvox-kallpc16k and festvox-kallpc8k conflict: both are voice_kal_diphone, and asking for
  # both fails on a machine that has neither)
  pocketsphinx-testdata festival festvox-us-slt-hts festvox-kallpc8k bible-kjv-text sox
  # PostgreSQL for the PostgreSQL tests; Redis for shared rate limits
  postgresql redis-server
  # NIST sclite, the reference scorer our word error rates are tested against
  sctk
  # benchmarks
  wrk hyperfine sqlite3 time bc curl
  # the public docs' Python and JavaScript examples, run by the tests (axios comes from npm below)
  python3 python3-requests
  # the dashboard's browser tests drive Debian's Chromium through Playwright (no browser is downloaded)
  chromium
)
# node and npm run the JavaScript example; Debian's only when the machine has no node of its own
command -v node >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! command -v dotnet >/dev/null; then
  echo "the .NET 10 SDK is required (https://dot.net); install it and run again" >&2
  exit 1
fi
dotnet restore CustomModels.slnx --verbosity quiet

# axios for the public docs' JavaScript example, at the version package-lock.json pins
[ -d tests/clients/node_modules ] || (cd tests/clients && npm ci --silent)
