//! What outlives a PowerShell session: the environments Add-MgEnvironment registered and, for
//! Connect-MgGraph -ContextScope CurrentUser, the token cache. Both live in one directory of the
//! user's (the front end names it, docs/abi.md "Client configuration"); without one nothing is
//! kept beyond the process.
//!
//! Files are written whole, to a temporary file first and then renamed, so a reader in another
//! process sees the old or the new content, never half. The directory is made readable by the
//! user only (0700 on Linux and macOS) and every file in it too (0600). The token cache is also
//! encrypted with DPAPI (CurrentUser) on Windows; on Linux and macOS its protection is the file's
//! mode alone (docs/differences.md says what that protects against), and a cache that others can
//! read is not used.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// The directory where settings are kept.
#[derive(Clone, Debug)]
pub struct SettingsDirectory {
    path: PathBuf,
}

/// How a file is kept: as is, or (the token cache) encrypted where the platform can.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protection {
    Plain,
    Secret,
}

impl SettingsDirectory {
    pub fn new(path: impl Into<PathBuf>) -> SettingsDirectory {
        SettingsDirectory { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// The file's content, or `None` when it does not exist or cannot be used (unreadable,
    /// readable by others, not decryptable by this user).
    pub fn read(&self, name: &str, protection: Protection) -> Option<Vec<u8>> {
        let path = self.file(name);
        if protection == Protection::Secret && !private_to_user(&path) {
            return None;
        }
        let bytes = fs::read(&path).ok()?;
        match protection {
            Protection::Plain => Some(bytes),
            Protection::Secret => unprotect(&bytes),
        }
    }

    /// Replaces the file's content.
    pub fn write(&self, name: &str, protection: Protection, content: &[u8]) -> Result<(), Error> {
        self.ensure_directory()?;
        let stored = match protection {
            Protection::Plain => content.to_vec(),
            Protection::Secret => protect(content)?,
        };
        let path = self.file(name);
        let temporary = self.file(&format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
        let written = (|| {
            let mut file = private_file(&temporary)?;
            file.write_all(&stored)?;
            file.sync_all()?;
            drop(file);
            fs::rename(&temporary, &path)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&temporary);
            return Err(Error::invalid_argument(format!(
                "MgLicense could not save {}: {e}. Set MGLICENSE_SETTINGS_DIRECTORY to a directory you can write to.",
                path.display()
            )));
        }
        Ok(())
    }

    /// Deletes the file; a file that is not there is not an error.
    pub fn remove(&self, name: &str) -> Result<(), Error> {
        match fs::remove_file(self.file(name)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::runtime(format!(
                "MgLicense could not delete {}: {e}",
                self.file(name).display()
            ))),
        }
    }

    fn ensure_directory(&self) -> Result<(), Error> {
        let failed = |e: std::io::Error| {
            Error::invalid_argument(format!(
                "MgLicense could not create its settings directory {}: {e}. Set MGLICENSE_SETTINGS_DIRECTORY to a directory you can write to.",
                self.path.display()
            ))
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
            if !self.path.is_dir() {
                fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(&self.path)
                    .map_err(failed)?;
            }
            // A directory made earlier by someone else's umask is narrowed to the user.
            let mode = fs::metadata(&self.path)
                .map_err(failed)?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                fs::set_permissions(&self.path, fs::Permissions::from_mode(0o700))
                    .map_err(failed)?;
            }
        }
        #[cfg(not(unix))]
        fs::create_dir_all(&self.path).map_err(failed)?;
        Ok(())
    }
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// On Linux and macOS: the file is the user's and nobody else may read or write it. On
/// Windows the content's encryption is the check.
#[cfg(unix)]
fn private_to_user(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match fs::metadata(path) {
        // SAFETY: geteuid has no preconditions and cannot fail.
        Ok(m) => m.mode() & 0o077 == 0 && m.uid() == unsafe { geteuid() },
        Err(_) => false,
    }
}

#[cfg(unix)]
extern "C" {
    fn geteuid() -> u32;
}

#[cfg(not(unix))]
fn private_to_user(_: &Path) -> bool {
    true
}

#[cfg(not(windows))]
fn protect(content: &[u8]) -> Result<Vec<u8>, Error> {
    Ok(content.to_vec())
}

#[cfg(not(windows))]
fn unprotect(stored: &[u8]) -> Option<Vec<u8>> {
    Some(stored.to_vec())
}

#[cfg(windows)]
fn protect(content: &[u8]) -> Result<Vec<u8>, Error> {
    dpapi::protect(content).ok_or_else(|| {
        Error::runtime("Windows could not encrypt the token cache for the current user (DPAPI).")
    })
}

#[cfg(windows)]
fn unprotect(stored: &[u8]) -> Option<Vec<u8>> {
    dpapi::unprotect(stored)
}

/// The Data Protection API with the current user's key (CryptProtectData without
/// CRYPTPROTECT_LOCAL_MACHINE), as the official module's token cache uses on Windows.
#[cfg(windows)]
mod dpapi {
    use std::ffi::c_void;

    #[repr(C)]
    struct DataBlob {
        cb: u32,
        pb: *mut u8,
    }

    const CRYPTPROTECT_UI_FORBIDDEN: u32 = 0x1;

    /// CryptProtectData and CryptUnprotectData take the same arguments; the description (an input
    /// of the one, an output of the other) is always null here, so it is typed as a bare pointer.
    type Transform = unsafe extern "system" fn(
        data_in: *const DataBlob,
        description: *mut c_void,
        entropy: *const DataBlob,
        reserved: *mut c_void,
        prompt: *mut c_void,
        flags: u32,
        data_out: *mut DataBlob,
    ) -> i32;

    #[link(name = "crypt32")]
    extern "system" {
        fn CryptProtectData(
            data_in: *const DataBlob,
            description: *mut c_void,
            entropy: *const DataBlob,
            reserved: *mut c_void,
            prompt: *mut c_void,
            flags: u32,
            data_out: *mut DataBlob,
        ) -> i32;
        fn CryptUnprotectData(
            data_in: *const DataBlob,
            description: *mut c_void,
            entropy: *const DataBlob,
            reserved: *mut c_void,
            prompt: *mut c_void,
            flags: u32,
            data_out: *mut DataBlob,
        ) -> i32;
    }

    #[link(name = "kernel32")]
    extern "system" {
        fn LocalFree(memory: *mut c_void) -> *mut c_void;
    }

    /// Copies the output blob and frees it (after wiping it: it may be plain text).
    ///
    /// SAFETY: `blob` was filled by a successful CryptProtectData/CryptUnprotectData.
    unsafe fn take(blob: DataBlob) -> Vec<u8> {
        let bytes = std::slice::from_raw_parts_mut(blob.pb, blob.cb as usize);
        let copy = bytes.to_vec();
        bytes.iter_mut().for_each(|b| *b = 0);
        LocalFree(blob.pb.cast());
        copy
    }

    /// `content` through `transform`, with the current user's key and no prompt; None when it fails.
    fn run(transform: Transform, content: &[u8]) -> Option<Vec<u8>> {
        let input = DataBlob {
            cb: u32::try_from(content.len()).ok()?,
            pb: content.as_ptr() as *mut u8,
        };
        let mut output = DataBlob {
            cb: 0,
            pb: std::ptr::null_mut(),
        };
        // SAFETY: input points at `content`, which outlives the call; the API only reads it.
        let ok = unsafe {
            transform(
                &input,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                CRYPTPROTECT_UI_FORBIDDEN,
                &mut output,
            )
        };
        // SAFETY: the call succeeded, so output holds a LocalAlloc'ed blob.
        (ok != 0).then(|| unsafe { take(output) })
    }

    pub(super) fn protect(content: &[u8]) -> Option<Vec<u8>> {
        run(CryptProtectData, content)
    }

    pub(super) fn unprotect(stored: &[u8]) -> Option<Vec<u8>> {
        run(CryptUnprotectData, stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch() -> SettingsDirectory {
        let dir = std::env::temp_dir().join(format!("mglicense-settings-{}", uuid::Uuid::new_v4()));
        SettingsDirectory::new(dir.join("nested"))
    }

    #[test]
    fn a_file_written_is_read_back_and_a_missing_one_is_none() {
        let s = scratch();
        assert!(s.read("a.json", Protection::Plain).is_none());
        s.write("a.json", Protection::Plain, b"{}").unwrap();
        s.write("a.json", Protection::Plain, b"[1]").unwrap();
        assert_eq!(s.read("a.json", Protection::Plain).unwrap(), b"[1]");
        s.write("t.bin", Protection::Secret, b"token").unwrap();
        assert_eq!(s.read("t.bin", Protection::Secret).unwrap(), b"token");
        s.remove("t.bin").unwrap();
        s.remove("t.bin").unwrap();
        assert!(s.read("t.bin", Protection::Secret).is_none());
        let _ = fs::remove_dir_all(s.path().parent().unwrap());
    }

    #[cfg(windows)]
    #[test]
    fn a_secret_file_is_encrypted_with_dpapi_and_a_plain_one_is_not() {
        let s = scratch();
        s.write("t.bin", Protection::Secret, b"refresh-token-value")
            .unwrap();
        s.write("e.json", Protection::Plain, b"[]").unwrap();
        let stored = fs::read(s.path().join("t.bin")).unwrap();
        assert!(!stored.windows(19).any(|w| w == b"refresh-token-value"));
        assert_eq!(
            s.read("t.bin", Protection::Secret).unwrap(),
            b"refresh-token-value"
        );
        assert_eq!(fs::read(s.path().join("e.json")).unwrap(), b"[]");
        let _ = fs::remove_dir_all(s.path().parent().unwrap());
    }

    #[cfg(unix)]
    #[test]
    fn the_directory_and_files_are_the_users_alone_and_a_cache_others_can_read_is_ignored() {
        use std::os::unix::fs::PermissionsExt;
        let s = scratch();
        s.write("t.bin", Protection::Secret, b"token").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(s.path()), 0o700);
        assert_eq!(mode(&s.path().join("t.bin")), 0o600);
        fs::set_permissions(s.path().join("t.bin"), fs::Permissions::from_mode(0o644)).unwrap();
        assert!(s.read("t.bin", Protection::Secret).is_none());
        let _ = fs::remove_dir_all(s.path().parent().unwrap());
    }
}
