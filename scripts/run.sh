#!/usr/bin/env bash
# Builds and starts EmailApi with its defaults: HTTP on 127.0.0.1:8025, SMTP on 127.0.0.1:2525
# (STARTTLS) and 2465 (implicit TLS), queue in ./data/emailapi.db. On the first start the API key
# of the 'default' account is printed once. Extra arguments are passed on, e.g. --Delivery:Port=2526.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build api/EmailApi.csproj -c Release --nologo -v quiet
# .NET sizes the youngest GC generation from the CPU cache; on VMs that do not report it, that is
# ~3 MB and the service collects garbage hundreds of times a second under load. 32 MB: ten times
# fewer collections (README, "Runtime settings").
export DOTNET_GCgen0size="${DOTNET_GCgen0size:-0x2000000}"
exec dotnet api/bin/Release/net10.0/EmailApi.dll "$@"
