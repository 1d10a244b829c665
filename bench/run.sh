#!/usr/bin/env bash
# Runs the benchmark in a host compiled the way pwsh is released: ReadyToRun (native code for the PowerShell engine
# and every other assembly, so the engine is not JIT-compiled while it is being measured). `dotnet run` would give
# an IL-only System.Management.Automation from NuGet instead, which short runs and cold imports pay for; the report
# says which one a run had.
#
#   bench/run.sh --out docs/benchmarks.md        the full run (~25 minutes)
#   bench/run.sh --quick                         a minute or two
#
# Build the module and the emulator first: ./build.sh build
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
project="$here/MgLicense.Bench"
rid="$(dotnet --info 2>/dev/null | sed -n 's/^ *RID: *//p' | head -n 1)"
[ -n "$rid" ] || { echo "bench/run.sh: cannot tell this machine's runtime identifier from dotnet --info" >&2; exit 1; }
out="$project/bin/r2r-$rid"
mkdir -p "$project/bin"
echo "bench/run.sh: publishing MgLicense.Bench ReadyToRun for $rid into ${out#"$here"/} (log: $out.log)" >&2
if ! dotnet publish "$project/MgLicense.Bench.csproj" -c Release -r "$rid" --self-contained false \
        -p:PublishReadyToRun=true -o "$out" -nologo >"$out.log" 2>&1; then
    tail -n 30 "$out.log" >&2
    exit 1
fi
cd "$here/.."
exec "$out/MgLicense.Bench" "$@"
