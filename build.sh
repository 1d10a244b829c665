#!/usr/bin/env bash
# Builds, tests and demonstrates MgLicense on a Debian 12 machine with the .NET SDK and a Rust
# toolchain. It installs what is missing (the pinned pwsh from .config/dotnet-tools.json, and the Rust
# crates from Debian where crates.io cannot be reached), then runs build.ps1 in that pwsh.
#
#   ./build.sh [build|test|package|clean]   runs build.ps1 -Task <Task> (default: build)
#   ./build.sh demo                         builds, then runs examples/Invoke-Demo.ps1 on the emulator
#   ./build.sh pwsh <pwsh arguments...>     builds the module, then runs the pinned pwsh from the
#                                           repository's root with out/ on PSModulePath, e.g.
#   ./build.sh pwsh -Command "Import-Module MgLicense; Get-Command -Module MgLicense"
#
# Rust crates: when crates.io cannot be reached they come from Debian's librust-*-dev packages,
# through a cargo source replacement written to out/cargo-debian.toml and handed to build.ps1 in
# MGLICENSE_CARGO_CONFIG. When crates.io answers, nothing is installed and cargo works as usual.
set -euo pipefail

# Debian packages for building without crates.io. Add the -dev package of any crate you depend on.
DEBIAN_PACKAGES=(
    librust-reqwest-dev librust-tokio-dev librust-serde-json-dev librust-serde-dev
    librust-once-cell-dev librust-hyper-dev librust-percent-encoding-dev librust-uuid-dev
    librust-httpdate-dev librust-libc-dev librust-thiserror-dev librust-base64-dev
    librust-url-dev librust-rand-dev librust-hmac-dev librust-sha2-dev librust-proptest-dev
    librust-ring-dev librust-zeroize-dev librust-aes-dev
    cbindgen libssl-dev pkg-config
)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$ROOT/out"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 POWERSHELL_TELEMETRY_OPTOUT=1

say() { printf 'build.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

usage() {
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
}

crates_io_reachable() {
    command -v curl >/dev/null 2>&1 && timeout 10 curl -sSf -o /dev/null https://index.crates.io/config.json 2>/dev/null
}

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

install_debian_packages() {
    local missing=() package
    for package in "${DEBIAN_PACKAGES[@]}"; do
        installed "$package" || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0

    if [ "$(id -u)" -ne 0 ]; then
        say "crates.io cannot be reached, so the Rust crates must come from Debian. As root, run:"
        say "  apt-get update && apt-get install -y ${missing[*]}"
        exit 1
    fi

    local log="$OUT/apt.log"
    mkdir -p "$OUT"
    say "installing ${#missing[@]} Debian package(s) (log: out/apt.log)"
    if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"; } >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "apt-get failed; see out/apt.log"
    fi
}

# Step 1: what cargo needs.
prepare_cargo() {
    if crates_io_reachable; then
        return 0
    fi

    install_debian_packages
    mkdir -p "$OUT"
    cat >"$OUT/cargo-debian.toml" <<'EOF'
[source.crates-io]
replace-with = "debian-packages"
[source.debian-packages]
directory = "/usr/share/cargo/registry"
[net]
offline = true
EOF
    export MGLICENSE_CARGO_CONFIG="$OUT/cargo-debian.toml"
    # cbindgen came with the Debian packages: the header check must run, not skip.
    export MGLICENSE_REQUIRE_CBINDGEN=1
}

# Step 2: the pinned pwsh (a local dotnet tool), restored once per machine.
prepare_pwsh() {
    command -v dotnet >/dev/null 2>&1 || die "the .NET SDK (dotnet) is not on PATH"
    mkdir -p "$OUT"
    if ! (cd "$ROOT" && dotnet tool restore) >"$OUT/tool-restore.log" 2>&1; then
        tail -n 20 "$OUT/tool-restore.log" >&2
        die "could not restore pwsh (dotnet tool restore); see out/tool-restore.log"
    fi
}

pwsh_run() {
    (cd "$ROOT" && exec dotnet tool run pwsh -- "$@")
}

command="${1:-build}"
case "$command" in
    build | test | package | clean)
        [ $# -le 1 ] || die "'$command' takes no arguments (see ./build.sh help)"
        [ "$command" = clean ] || prepare_cargo
        prepare_pwsh
        pwsh_run -NoProfile -NonInteractive -File "$ROOT/build.ps1" -Task "${command^}"
        ;;
    demo)
        [ $# -le 1 ] || die "'demo' takes no arguments"
        prepare_cargo
        prepare_pwsh
        pwsh_run -NoProfile -NonInteractive -File "$ROOT/build.ps1" -Task Build
        pwsh_run -NoProfile -NonInteractive -File "$ROOT/examples/Invoke-Demo.ps1"
        ;;
    pwsh)
        shift
        prepare_cargo
        prepare_pwsh
        # The module must be current before it is imported; the build's own output only matters when it fails.
        if ! pwsh_run -NoProfile -NonInteractive -File "$ROOT/build.ps1" -Task Build >"$OUT/build.log" 2>&1; then
            tail -n 40 "$OUT/build.log" >&2
            die "the build failed; see out/build.log"
        fi
        PSModulePath="$OUT${PSModulePath:+:$PSModulePath}" pwsh_run "$@"
        ;;
    help | -h | --help)
        usage
        ;;
    *)
        usage >&2
        exit 2
        ;;
esac
