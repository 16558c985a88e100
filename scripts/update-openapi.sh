#!/usr/bin/env bash
# Regenerates openapi/openapi.json from the live service document; review the diff before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
UPDATE_GOLDEN=1 dotnet test tests/Api.Tests --filter "FullyQualifiedName~OpenApiDocumentTests" --nologo -v quiet
git --no-pager diff --stat -- openapi/openapi.json || true
