#!/usr/bin/env bash
# scripts/publish.sh [OUT]: EmailApi as one self-contained executable for Linux (no .NET needed on
# the target), the native SQLite library inside it, with appsettings.json beside it.
#   RID=linux-arm64 scripts/publish.sh     another platform (default linux-x64)
# Output: OUT (default dist/$RID)/EmailApi and appsettings.json. See docs/operations.md.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RID=${RID:-linux-x64}
OUT=${1:-$REPO_ROOT/dist/$RID}
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
dotnet publish "$REPO_ROOT/api/EmailApi.csproj" -c Release -r "$RID" --self-contained \
    -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true -p:DebugType=none \
    -p:GenerateDocumentationFile=false -o "$OUT" >&2
# Only the executable and its settings are shipped; anything else the SDK leaves (static web asset
# manifests) is not read at run time.
find "$OUT" -maxdepth 1 -type f ! -name EmailApi ! -name appsettings.json -delete
echo "$OUT/EmailApi"
