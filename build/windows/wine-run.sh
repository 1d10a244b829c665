#!/usr/bin/env bash
# Runs a Windows program under Wine with the test prefix and environment of build/windows/cross.sh
# (cargo's runner for x86_64-pc-windows-gnu in the cross build). Its exit code is the program's.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export WINEPREFIX="${WINEPREFIX:-${MGLICENSE_WINEPREFIX:-$ROOT/target/windows/wine}}"
export WINEDEBUG="${WINEDEBUG:--all}" RUST_BACKTRACE=0
# Rust std's ProcessPrng comes from the prefix's stub; Wine has no builtin to prefer.
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:+$WINEDLLOVERRIDES;}bcryptprimitives=n"
# .NET's W^X double mapping of JIT memory breaks under Wine 8 ("Internal CLR error" in a finalizer
# of dynamic methods, which PowerShell and Pester make many of): off here, on as usual on Windows.
export DOTNET_EnableWriteXorExecute=0
exec /usr/lib/wine/wine64 "$@"
