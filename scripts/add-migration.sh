#!/usr/bin/env bash
# Adds a schema migration NAME for both providers (SQLite and PostgreSQL keep their own).
#   scripts/add-migration.sh NAME
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: scripts/add-migration.sh NAME}"
dotnet tool restore >/dev/null
for provider in Sqlite Postgres; do
  dotnet ef migrations add "$name" --context "${provider}AppDbContext" \
    --output-dir "Data/Migrations/$provider" --namespace "CustomModels.Core.Data.Migrations.$provider" \
    --project src/CustomModels.Core --startup-project src/CustomModels.Core
  # The tool files the snapshot by namespace; keep it beside its migrations.
  stray="src/CustomModels.Core/CustomModels/Core/Data/Migrations/$provider"
  if [ -d "$stray" ]; then mv "$stray"/*.cs "src/CustomModels.Core/Data/Migrations/$provider/"; fi
done
rm -rf src/CustomModels.Core/CustomModels
