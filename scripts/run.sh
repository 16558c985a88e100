#!/usr/bin/env bash
# Builds and starts EmailApi with its defaults: HTTP on 127.0.0.1:8025, SMTP on 127.0.0.1:2525
# (STARTTLS) and 2465 (implicit TLS), queue in ./data/emailapi.db. On the first start the API key
# of the 'default' account is printed once. Extra arguments are passed on, e.g. --Delivery:Port=2526.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build api/EmailApi.csproj -c Release --nologo -v quiet
# shellcheck source=lib/runtime.sh
source scripts/lib/runtime.sh
exec dotnet api/bin/Release/net10.0/EmailApi.dll "$@"
