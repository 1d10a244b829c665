#!/usr/bin/env bash
# Builds MgLicense for Windows x64 on Debian 12 and tests it under Wine (docs/windows.md).
#
#   build/windows/cross.sh toolchain   installs what the cross build and Wine need (as root)
#   build/windows/cross.sh build       mglicense_ffi.dll and graph-emulator.exe for x86_64-pc-windows-gnu,
#                                      exports checked against the header, DLL copied into
#                                      out/MgLicense/runtimes/win-x64/native/ when out/MgLicense exists
#   build/windows/cross.sh test        build, then every Windows lane below, with a summary line
#   build/windows/cross.sh test-c      the C ABI test program (tests/c/abi_test.c) under Wine
#   build/windows/cross.sh test-rust   cargo test of mglicense and mglicense-ffi, Wine as the runner
#   build/windows/cross.sh test-pwsh [ARGS]  the win-x64 pwsh (tools/WinPwsh) under Wine: the smoke script,
#                                      then the Pester suite (tests/Invoke-Tests.ps1 ARGS, e.g.
#                                      -Path tests/Headers.Tests.ps1 -Output Detailed)
#   build/windows/cross.sh pwsh ARGS   runs the win-x64 pwsh under Wine with ARGS
#
# Environment:
#   MGLICENSE_WINDOWS=0             the build and test hooks do nothing (say so, and exit 0)
#   MGLICENSE_WINDOWS_TARGET_DIR    cargo's target dir for the cross build (default target/windows)
#   MGLICENSE_WINEPREFIX            the Wine prefix the tests use (default target/windows/wine)
#
# Only Debian's packages are used: rustc-web/cargo-web 1.96 with rust-web-src build std for the
# target (-Zbuild-std), crates come from /usr/share/cargo/registry, two crates Debian stripped of
# their Windows parts are bridged and schannel's certificate check is moved first by
# build/windows/patches (README.md there). rustup's toolchain, which builds the Linux library, is
# not touched: this script calls /usr/bin/cargo and /usr/bin/rustc by full path.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/build/windows"
OUT="$ROOT/out"
WORK="$OUT/windows"
TRIPLE=x86_64-pc-windows-gnu
TARGET_DIR="${MGLICENSE_WINDOWS_TARGET_DIR:-$ROOT/target/windows}"
RELEASE="$TARGET_DIR/$TRIPLE/release"
export WINEPREFIX="${MGLICENSE_WINEPREFIX:-$ROOT/target/windows/wine}"
HEADER="$ROOT/crates/mglicense-ffi/include/mglicense.h"
SEED="$ROOT/tests/data/tenant.json"

WEB_CARGO=/usr/bin/cargo
WEB_RUSTC=/usr/bin/rustc
WINE=/usr/lib/wine/wine64
STD_VENDOR=/usr/lib/rustlib/src/rust/library/vendor
DEBIAN_REGISTRY=/usr/share/cargo/registry

TOOLCHAIN_PACKAGES=(rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 wine64 librust-winreg-dev librust-winapi-dev patch)

# Wine and everything it runs: quiet, no backtraces (capturing one crashes inside Wine), no
# telemetry or update checks, no proxy, nothing but loopback.
export WINEDEBUG=-all RUST_BACKTRACE=0
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_UPDATECHECK=Off
export NO_PROXY='127.0.0.1,localhost,::1' no_proxy='127.0.0.1,localhost,::1'
unset HTTP_PROXY HTTPS_PROXY ALL_PROXY http_proxy https_proxy all_proxy
# The engine's managed-identity endpoints, pointed at a closed loopback port should anything
# ever try them (Azure Automation and App Service, Azure Arc, IMDS).
export IDENTITY_ENDPOINT=http://127.0.0.1:9/ IDENTITY_HEADER=none MSI_ENDPOINT=http://127.0.0.1:9/ \
    IMDS_ENDPOINT=http://127.0.0.1:9/ AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:9/

say() { printf 'cross.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# apt-get, waiting for another build's apt or dpkg to let go of its locks.
apt_get() {
    local try
    for try in 1 2 3 4 5 6 7 8 9 10; do
        if DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 "$@"; then
            return 0
        fi
        say "apt-get $1 failed (try $try of 10; another apt may hold the lock); waiting 20 s"
        sleep 20
    done
    return 1
}

ensure_toolchain() {
    local missing=() package
    for package in "${TOOLCHAIN_PACKAGES[@]}"; do
        installed "$package" || missing+=("$package")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        [ "$(id -u)" -eq 0 ] || die "as root, run: apt-get update && apt-get install -y ${missing[*]}"
        mkdir -p "$OUT"
        say "installing ${missing[*]} (log: out/apt-windows.log)"
        if ! { apt_get update -q && apt_get install -y -q "${missing[@]}"; } >"$OUT/apt-windows.log" 2>&1; then
            tail -n 30 "$OUT/apt-windows.log" >&2
            die "apt-get failed; see out/apt-windows.log"
        fi
    fi

    "$WEB_RUSTC" --version | grep -q '^rustc 1\.\(9[0-9]\|[1-9][0-9][0-9]\)\.' ||
        die "$WEB_RUSTC is not rustc-web 1.90 or later: $("$WEB_RUSTC" --version)"
    [ -d "$STD_VENDOR" ] || die "$STD_VENDOR is missing (package rust-web-src)"
    [ -x "$WINE" ] || die "$WINE is missing (package wine64)"
}

# The crate source the cross build reads: Debian's registry plus the standard library's own
# vendored dependencies (-Zbuild-std resolves std's Cargo.lock against the same source), as one
# directory of links; the standard library's copy wins where both have a version.
prepare_registry() {
    local registry="$WORK/registry" crate
    mkdir -p "$registry"
    for crate in "$DEBIAN_REGISTRY"/*/ "$STD_VENDOR"/*/; do
        crate="${crate%/}"
        ln -sfn "$crate" "$registry/$(basename "$crate")"
    done
}

# Copies of the two crates whose Windows dependencies Debian removed, with them put back, the
# hand-written windows-sys they need, and schannel with its certificate check moved first. They
# take the place of Debian's in the crate source above (not a [patch], which cargo would also apply
# to the standard library's own resolution under -Zbuild-std, where they are unused and it warns).
# Made in a staging folder and put in place only when they differ from the copies there, so an
# unchanged bridge never rebuilds the tree.
prepare_patches() {
    local patched="$WORK/patched" staging="$WORK/patched.new" registry="$WORK/registry" crate
    rm -rf "$staging"
    mkdir -p "$staging"

    # Debian's .cargo-checksum.json lists no files, so the edited Cargo.toml passes the check.
    cp -r "$DEBIAN_REGISTRY/mio-0.8.4" "$staging/mio-0.8.4"
    cat >>"$staging/mio-0.8.4/Cargo.toml" <<'EOF'

# Put back for the Windows cross build (build/windows/patches/README.md).
[target."cfg(windows)".dependencies.windows-sys]
version = "0.36.1"
EOF

    cp -r "$DEBIAN_REGISTRY/reqwest-0.11.13" "$staging/reqwest-0.11.13"
    cat >>"$staging/reqwest-0.11.13/Cargo.toml" <<'EOF'

# Put back for the Windows cross build (build/windows/patches/README.md): the system proxy
# from the registry. Debian has winreg 0.6; the calls reqwest makes are the same in 0.10.
[target."cfg(windows)".dependencies.winreg]
version = "0.6"
EOF

    # Not a missing part but a change of order: schannel-rs checks the server's certificate before
    # it sends its answer to it, so a refused server never sees the handshake complete
    # (build/windows/patches/README.md). cargo rebuilds a registry crate only when its version
    # changes, so the copy's version carries the patch's hash as build metadata (which version
    # requirements ignore).
    local schannel_patch="$HERE/patches/schannel-check-the-certificate-first.patch"
    cp -r "$DEBIAN_REGISTRY/schannel-0.1.19" "$staging/schannel-0.1.19"
    patch --quiet --forward -p1 -d "$staging/schannel-0.1.19" <"$schannel_patch" ||
        die "${schannel_patch#$ROOT/} does not apply to Debian's schannel 0.1.19"
    sed -i "s/^version = \"0\.1\.19\"\$/version = \"0.1.19+mglicense.$(sha256sum "$schannel_patch" | cut -c1-12)\"/" \
        "$staging/schannel-0.1.19/Cargo.toml"
    grep -q '^version = "0\.1\.19+mglicense\.' "$staging/schannel-0.1.19/Cargo.toml" ||
        die "could not mark the version of the patched schannel"

    cp -r "$HERE/patches/windows-sys" "$staging/windows-sys-0.36.1"
    printf '{"package":null,"files":{}}\n' >"$staging/windows-sys-0.36.1/.cargo-checksum.json"

    if [ -d "$patched" ] && diff -rq "$staging" "$patched" >/dev/null 2>&1; then
        rm -rf "$staging"
    else
        rm -rf "$patched"
        mv "$staging" "$patched"
    fi
    for crate in "$patched"/*/; do
        crate="${crate%/}"
        ln -sfn "$crate" "$registry/$(basename "$crate")"
    done
    # A lock file that names another schannel (Debian's own, or an earlier patch) is made again:
    # cargo would not pick the patched copy in its place.
    local lock="$TARGET_DIR/Cargo.lock" schannel
    schannel="$(awk -F '"' '/^version = / { print $2; exit }' "$patched/schannel-0.1.19/Cargo.toml")"
    if [ -f "$lock" ] && ! grep -qF "version = \"$schannel\"" "$lock"; then
        rm -f "$lock"
    fi

    cat >"$WORK/cargo-windows.toml.new" <<EOF
# Written by build/windows/cross.sh for the Windows cross build only.
[source.crates-io]
replace-with = "debian-and-std"
[source.debian-and-std]
directory = "$WORK/registry"
[net]
offline = true
[target.$TRIPLE]
linker = "x86_64-w64-mingw32-gcc"
runner = ["$HERE/wine-run.sh"]
[unstable]
build-std = ["std", "panic_unwind", "test"]
EOF
    mv "$WORK/cargo-windows.toml.new" "$WORK/cargo-windows.toml"
}

prepare() {
    ensure_toolchain
    mkdir -p "$WORK" "$TARGET_DIR"
    prepare_registry
    prepare_patches
}

# cargo-web with the cross configuration; the lock file is kept apart from the Linux build's.
web_cargo() {
    RUSTC="$WEB_RUSTC" RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 WINAPI_NO_BUNDLED_LIBRARIES=1 \
        CARGO_TARGET_DIR="$TARGET_DIR" \
        "$WEB_CARGO" "$1" --config "$WORK/cargo-windows.toml" \
        -Zlockfile-path --config "resolver.lockfile-path='$TARGET_DIR/Cargo.lock'" \
        --target "$TRIPLE" "${@:2}"
}

header_functions() {
    sed -n 's/^[A-Za-z_][A-Za-z0-9_ *]*[ *]\(mgl_[A-Za-z0-9_]*\)(.*/\1/p' "$HEADER" | sort -u
}

dll_exports() {
    x86_64-w64-mingw32-objdump -p "$1" |
        awk '/^\[Ordinal\/Name Pointer\] Table/ { table = 1; next } table && /^\t\[ *[0-9]+\]/ { print $NF; next } table && !/^\t/ { table = 0 }' |
        sort -u
}

check_exports() {
    local dll="$1" expected actual
    expected="$(header_functions)"
    actual="$(dll_exports "$dll")"
    [ -n "$expected" ] || die "found no functions in $HEADER"
    if [ "$expected" != "$actual" ]; then
        say "the exports of $dll differ from the functions of $HEADER (< header, > DLL):"
        diff <(printf '%s\n' "$expected") <(printf '%s\n' "$actual") >&2 || true
        exit 1
    fi
    say "$(printf '%s\n' "$actual" | wc -l) exports = the header's functions"

    # Only system DLLs, nothing of mingw's runtime that a Windows machine would not have.
    local imports
    imports="$(x86_64-w64-mingw32-objdump -p "$dll" | sed -n 's/^\tDLL Name: //p' | tr 'A-Z' 'a-z' | sort -u)"
    if printf '%s\n' "$imports" | grep -vE '^(kernel32|ntdll|ws2_32|advapi32|bcrypt|bcryptprimitives|crypt32|secur32|userenv|user32|ncrypt|shell32|ole32|oleaut32|api-ms-win-[a-z0-9-]+|msvcrt)\.dll$'; then
        die "$dll imports the DLLs above, which are not part of Windows"
    fi
}

cmd_build() {
    prepare
    local started=$SECONDS
    say "cargo-web build --release --target $TRIPLE (target dir ${TARGET_DIR#$ROOT/})"
    web_cargo build --release -p mglicense-ffi -p graph-emulator
    say "built in $((SECONDS - started)) s: $(du -h "$RELEASE/mglicense_ffi.dll" | cut -f1) mglicense_ffi.dll"
    check_exports "$RELEASE/mglicense_ffi.dll"

    if [ -f "$OUT/MgLicense/MgLicense.psd1" ]; then
        mkdir -p "$OUT/MgLicense/runtimes/win-x64/native"
        cp "$RELEASE/mglicense_ffi.dll" "$OUT/MgLicense/runtimes/win-x64/native/mglicense_ffi.dll"
        say "copied to out/MgLicense/runtimes/win-x64/native/mglicense_ffi.dll"
    fi
}

# ---- Wine --------------------------------------------------------------------------------------

# A prefix for the tests: made once, with Wine's .NET Framework and browser installers turned
# off while it is made (they would download), and bcryptprimitives.dll, which Wine 8 lacks and
# Rust's std (1.78 and later) needs for ProcessPrng, as a small stub.
prepare_wine() {
    ensure_toolchain
    local stub="$WORK/bcryptprimitives.dll"
    if [ ! -f "$stub" ] || [ "$HERE/bcryptprimitives/stub.c" -nt "$stub" ]; then
        mkdir -p "$WORK"
        x86_64-w64-mingw32-gcc -O2 -shared -o "$stub" "$HERE/bcryptprimitives/stub.c" \
            "$HERE/bcryptprimitives/bcryptprimitives.def" -ladvapi32
    fi

    if [ ! -f "$WINEPREFIX/system.reg" ]; then
        say "making the Wine prefix ${WINEPREFIX#$ROOT/}"
        mkdir -p "$WINEPREFIX"
        WINEDLLOVERRIDES='mscoree,mshtml=' "$WINE" wineboot --init >/dev/null 2>&1 || true
        /usr/lib/wine/wineserver -w || true
        [ -f "$WINEPREFIX/system.reg" ] || die "wineboot did not make $WINEPREFIX"
    fi
    cp "$stub" "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
}

# A Linux path as the Windows programs under Wine see it (drive Z: is /).
winpath() {
    local path
    path="$(realpath "$1")"
    printf 'Z:%s' "${path//\//\\}"
}

cmd_test_c() {
    prepare_wine
    local dir="$WORK/c"
    mkdir -p "$dir"
    x86_64-w64-mingw32-gcc -std=c11 -O1 -Wall -Wextra -Werror -I "$ROOT/crates/mglicense-ffi/include" \
        "$ROOT/tests/c/abi_test.c" -o "$dir/abi_test.exe" "$RELEASE/libmglicense_ffi.dll.a" -lws2_32
    # Windows finds a program's DLLs beside it.
    cp "$RELEASE/mglicense_ffi.dll" "$dir/mglicense_ffi.dll"
    say "tests/c/abi_test.c under Wine, against graph-emulator.exe on 127.0.0.1"
    "$HERE/wine-run.sh" "$dir/abi_test.exe" "$(winpath "$RELEASE/graph-emulator.exe")" "$(winpath "$SEED")"
}

cmd_test_rust() {
    prepare
    prepare_wine
    # The tests find the emulator binary and the seed through these; the Windows ones are used.
    # Every test binary runs even when one before it failed, so the counts are whole.
    # The TLS tests also check what the patched schannel promises: an untrusted server's
    # certificate is refused before the client answers it (build/windows/patches/README.md).
    export MGLICENSE_TEST_SCHANNEL_CHECKS_FIRST=1
    local status=0
    web_cargo test --release --no-fail-fast -p mglicense -p mglicense-ffi "$@" || status=$?
    # The system proxy test sets the current user's proxy while it runs, so it is ignored unless
    # asked for; here the user is the test prefix's. (The same packages as above, so nothing
    # is compiled again for other features.)
    if [ $# -eq 0 ]; then
        web_cargo test --release -p mglicense -p mglicense-ffi --test system_proxy -- --ignored || status=$?
    fi
    return "$status"
}

# ---- the win-x64 pwsh ----------------------------------------------------------------------------

PWSH_DIR="$WORK/pwsh"
PESTER_VERSION=5.7.1
PESTER="${NUGET_PACKAGES:-$HOME/.nuget/packages}/pester/$PESTER_VERSION/tools/Pester.psd1"

# tools/WinPwsh published self-contained for win-x64 (again only when its sources changed); the
# restore brings Pester too.
publish_pwsh() {
    local exe="$PWSH_DIR/pwsh.exe"
    if [ -f "$exe" ] && [ -f "$PESTER" ] && [ -z "$(find "$ROOT/tools/WinPwsh" \( -name bin -o -name obj \) -prune \
            -o -type f -newer "$exe" -print -quit)" ]; then
        return 0
    fi
    say "publishing tools/WinPwsh (pwsh 7.6.10, win-x64, self-contained) to ${PWSH_DIR#$ROOT/}"
    mkdir -p "$WORK"
    if ! dotnet publish "$ROOT/tools/WinPwsh/WinPwsh.csproj" -c Release -o "$PWSH_DIR" -nologo >"$WORK/pwsh-publish.log" 2>&1; then
        tail -n 30 "$WORK/pwsh-publish.log" >&2
        die "could not publish tools/WinPwsh; see out/windows/pwsh-publish.log"
    fi
    touch "$exe"
}

# Runs the win-x64 pwsh under Wine. Its console host needs a console, and Wine gives a process one
# only when it starts from a terminal, so script(1) lends it a pseudo-terminal; the terminal's
# control sequences and carriage returns are taken out of what it prints.
wine_pwsh() {
    local command status
    printf -v command '%q ' "$HERE/wine-run.sh" "$PWSH_DIR/pwsh.exe" -NoLogo -NoProfile -NonInteractive "$@"
    command="stty cols 160 rows 50; NO_COLOR=1 $command"
    set +e
    script -qefc "$command" /dev/null </dev/null |
        sed -u -e 's/\x1b\][^\x07]*\x07//g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\r//g' |
        grep --line-buffered -v '^wine: Read access denied for device'
    status="${PIPESTATUS[0]}"
    set -e
    return "$status"
}

cmd_test_pwsh() {
    prepare_wine
    publish_pwsh
    local manifest="$OUT/MgLicense/MgLicense.psd1"
    [ -f "$OUT/MgLicense/runtimes/win-x64/native/mglicense_ffi.dll" ] ||
        die "out/MgLicense has no win-x64 library: run ./build.sh build (or build.ps1 -Task Build) first"

    export MGLICENSE_TEST_MODULE MGLICENSE_TEST_EMULATOR
    MGLICENSE_TEST_MODULE="$(winpath "$manifest")"
    MGLICENSE_TEST_EMULATOR="$(winpath "$RELEASE/graph-emulator.exe")"

    say "the packaged module in the win-x64 pwsh under Wine (build/windows/smoke.ps1)"
    wine_pwsh -File "$(winpath "$HERE/smoke.ps1")" -ModuleManifest "$MGLICENSE_TEST_MODULE" \
        -Emulator "$MGLICENSE_TEST_EMULATOR" -Tenant "$(winpath "$SEED")" | tee "$WORK/smoke.log" || true
    grep -qE '^smoke: [0-9]+ passed, 0 failed' "$WORK/smoke.log" ||
        die "the smoke script under Wine did not pass with its count line (out/windows/smoke.log)"

    # The PowerShell suite (tests/*.Tests.ps1 through tests/Invoke-Tests.ps1), with the Windows module and the
    # Windows emulator through MGLICENSE_TEST_MODULE/_EMULATOR. It passes only on Pester's own count line with
    # 0 failed: a pwsh that crashes in .NET under Wine may still end with status 0.
    say "the PowerShell tests (tests/*.Tests.ps1, Pester $PESTER_VERSION) in the win-x64 pwsh under Wine"
    local log="$WORK/pester-windows.log"
    wine_pwsh -File "$(winpath "$ROOT/tests/Invoke-Tests.ps1")" -PesterModule "$(winpath "$PESTER")" \
        -ModuleManifest "$MGLICENSE_TEST_MODULE" -Emulator "$MGLICENSE_TEST_EMULATOR" \
        -ResultPath "$(winpath "$OUT/test-results/pester-windows.xml")" "$@" | tee "$log" || true
    grep -qE '^Pester: [0-9]+ passed, 0 failed, [0-9]+ skipped, [0-9]+ not run, 0 files failed' "$log" ||
        die "the Pester suite under Wine did not pass with its count line (out/windows/pester-windows.log)"
}

# Every Windows lane, each run even when one before it failed, timed, with one summary line.
cmd_test() {
    if [ "${MGLICENSE_WINDOWS:-1}" = 0 ]; then say "MGLICENSE_WINDOWS=0: no Windows lanes"; exit 0; fi
    cmd_build
    local lane passed=0 failed=0 started report=""
    mkdir -p "$WORK/logs"
    for lane in c rust pwsh; do
        started=$SECONDS
        if ( "cmd_test_$lane" ) 2>&1 | tee "$WORK/logs/$lane.log"; [ "${PIPESTATUS[0]}" -eq 0 ]; then
            passed=$((passed + 1)); report+="  $lane: passed"
        else
            failed=$((failed + 1)); report+="  $lane: FAILED"
        fi
        report+=" in $((SECONDS - started)) s ($(lane_counts "$WORK/logs/$lane.log"))"$'\n'
    done
    printf '\nWindows x64 under Wine:\n%s' "$report"
    printf 'windows lanes: %d passed, %d failed\n' "$passed" "$failed"
    [ "$failed" -eq 0 ]
}

# The test counts a lane's log shows: cargo's "test result" lines summed, or the last
# "N passed, N failed" line of the C program, the smoke script and Pester.
lane_counts() {
    awk '
        /^test result: / { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1); if ($(i) ~ /^ignored;?$/) g += $(i-1) } cargo = 1 }
        /[0-9]+ passed, [0-9]+ failed/ { line = line (line ? "; " : "") $0 }
        END { if (cargo) printf "%d passed, %d failed, %d ignored", p, f, g; else printf "%s", line }
    ' "$1"
}

case "${1:-}" in
    toolchain) ensure_toolchain ;;
    build)
        if [ "${MGLICENSE_WINDOWS:-1}" = 0 ]; then say "MGLICENSE_WINDOWS=0: no Windows build"; exit 0; fi
        cmd_build ;;
    test) cmd_test ;;
    test-c) cmd_test_c ;;
    test-rust) shift; cmd_test_rust "$@" ;;
    test-pwsh) shift; cmd_test_pwsh "$@" ;;
    pwsh) shift; prepare_wine; publish_pwsh; wine_pwsh "$@" ;;
    *) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
