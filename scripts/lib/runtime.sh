# Runtime settings every launcher of the service applies (scripts/run.sh, and start_emailapi in
# peers.sh for the tests and benchmarks, so they run the service as shipped). Source it; a value
# already in the environment wins.
#
# .NET sizes the youngest GC generation from the CPU cache; on VMs that do not report it, that is
# ~3 MB and the service collects garbage hundreds of times a second under load. 32 MB: ten times
# fewer collections (README, "Runtime settings").
export DOTNET_GCgen0size="${DOTNET_GCgen0size:-0x2000000}"
