//! The committed header must be exactly what cbindgen generates from this crate, so C and C#
//! callers never compile against a stale contract.

use std::path::Path;
use std::process::Command;

#[test]
#[cfg_attr(
    windows,
    ignore = "runs cargo and cbindgen, Linux programs that a Windows test process cannot start; the Linux run checks the same header"
)]
fn committed_header_matches_a_fresh_generation() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fresh = std::env::temp_dir().join(format!("mglicense-header-{}.h", std::process::id()));
    let metadata =
        std::env::temp_dir().join(format!("mglicense-metadata-{}.json", std::process::id()));
    // cbindgen would run `cargo metadata` itself, without the cargo configuration this build
    // uses (build.sh's Debian crate source): hand it the metadata instead.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut query = Command::new(cargo);
    if let Some(config) = std::env::var_os("MGLICENSE_CARGO_CONFIG") {
        query.arg("--config").arg(config);
    }
    let out = query
        .args([
            "metadata",
            "--all-features",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(dir.join("Cargo.toml"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&metadata, &out.stdout).unwrap();
    let run = Command::new("cbindgen")
        .current_dir(dir)
        .args([
            "--quiet",
            "--config",
            "cbindgen.toml",
            "--crate",
            "mglicense-ffi",
            "--metadata",
        ])
        .arg(&metadata)
        .arg("--output")
        .arg(&fresh)
        .status();
    let _ = std::fs::remove_file(&metadata);
    match run {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if std::env::var_os("MGLICENSE_REQUIRE_CBINDGEN").is_some() {
                panic!("cbindgen is not installed, and MGLICENSE_REQUIRE_CBINDGEN is set");
            }
            eprintln!("cbindgen is not installed; the header check did not run");
            return;
        }
        Err(e) => panic!("could not run cbindgen: {e}"),
        Ok(status) => assert!(status.success(), "cbindgen failed"),
    }
    let generated = std::fs::read_to_string(&fresh).unwrap();
    let _ = std::fs::remove_file(&fresh);
    let committed = std::fs::read_to_string(dir.join("include/mglicense.h")).unwrap();
    assert!(
        generated == committed,
        "include/mglicense.h is stale: regenerate it with `cbindgen --config cbindgen.toml --crate mglicense-ffi --output include/mglicense.h` in crates/mglicense-ffi"
    );
}
