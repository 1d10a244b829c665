//! The token cache of Connect-MgGraph -ContextScope CurrentUser: a sign-in that a new
//! PowerShell session reuses, as the official module's persistent token cache lets it.
//!
//! One file in the settings directory ([`crate::settings`]), one entry per credential: a
//! delegated sign-in keeps its refresh token (so the next Connect-MgGraph with the same app and
//! tenant asks nobody), an app or managed identity its access token until it expires. An app's
//! entry is found by a hash of its secret or certificate as well as its client id, so a changed
//! secret never gets the old one's token. Disconnect-MgGraph deletes the file.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::login::IssuedToken;
use super::Secret;
use crate::settings::{Protection, SettingsDirectory};

/// The cache's file name in the settings directory.
pub const FILE: &str = "tokencache.json";

#[derive(Default, Serialize, Deserialize)]
struct CacheFile {
    #[serde(default)]
    entries: BTreeMap<String, Entry>,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    access_token: String,
    /// Seconds since 1970.
    expires_on: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.access_token.zeroize();
        if let Some(r) = self.refresh_token.as_mut() {
            r.zeroize();
        }
    }
}

/// One credential's place in the user's token cache.
#[derive(Clone, Debug)]
pub struct TokenCache {
    directory: SettingsDirectory,
    key: String,
}

impl TokenCache {
    pub fn new(directory: SettingsDirectory, key: String) -> TokenCache {
        TokenCache { directory, key }
    }

    fn load(directory: &SettingsDirectory) -> CacheFile {
        let Some(mut bytes) = directory.read(FILE, Protection::Secret) else {
            return CacheFile::default();
        };
        let file = serde_json::from_slice(&bytes).unwrap_or_default();
        bytes.zeroize();
        file
    }

    fn save(directory: &SettingsDirectory, file: &CacheFile) {
        if let Ok(mut bytes) = serde_json::to_vec(file) {
            // A cache that cannot be written costs a sign-in in the next session, nothing more.
            let _ = directory.write(FILE, Protection::Secret, &bytes);
            bytes.zeroize();
        }
    }

    /// What the cache holds for this credential.
    pub fn get(&self) -> Option<IssuedToken> {
        let file = Self::load(&self.directory);
        let entry = file.entries.get(&self.key)?;
        Some(IssuedToken {
            access_token: Secret::new(entry.access_token.clone()),
            refresh_token: entry.refresh_token.clone().map(Secret::new),
            expires_on: UNIX_EPOCH + Duration::from_secs(entry.expires_on),
        })
    }

    /// Keeps a token (and the refresh token, for a delegated sign-in) for the next session.
    pub fn put(&self, access_token: &Secret, expires_on: SystemTime, refresh: Option<&Secret>) {
        let mut file = Self::load(&self.directory);
        let now = SystemTime::now();
        // Entries nothing can use any more (expired, without a refresh token) are dropped.
        file.entries.retain(|_, e| {
            e.refresh_token.is_some() || UNIX_EPOCH + Duration::from_secs(e.expires_on) > now
        });
        file.entries.insert(
            self.key.clone(),
            Entry {
                access_token: access_token.expose().to_string(),
                expires_on: expires_on
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0),
                refresh_token: refresh.map(|r| r.expose().to_string()),
            },
        );
        Self::save(&self.directory, &file);
    }

    /// Forgets this credential's entry (its refresh token was refused).
    pub fn forget(&self) {
        let mut file = Self::load(&self.directory);
        if file.entries.remove(&self.key).is_some() {
            Self::save(&self.directory, &file);
        }
    }

    /// Deletes every cached sign-in of the user (Disconnect-MgGraph).
    pub fn clear(directory: &SettingsDirectory) {
        let _ = directory.remove(FILE);
    }
}

/// A fingerprint of a secret for a cache key: SHA-256, hex. The secret itself is never stored.
pub fn fingerprint(secret: &str) -> String {
    ring::digest::digest(&ring::digest::SHA256, secret.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_put_is_got_by_its_key_only_and_clear_forgets_all() {
        let dir = SettingsDirectory::new(
            std::env::temp_dir().join(format!("mglicense-cache-{}", uuid::Uuid::new_v4())),
        );
        let a = TokenCache::new(dir.clone(), "a".into());
        let b = TokenCache::new(dir.clone(), "b".into());
        assert!(a.get().is_none());
        let later = SystemTime::now() + Duration::from_secs(3600);
        a.put(
            &Secret::new("access-a"),
            later,
            Some(&Secret::new("refresh-a")),
        );
        b.put(&Secret::new("access-b"), later, None);
        let got = a.get().expect("a is cached");
        assert_eq!(got.access_token.expose(), "access-a");
        assert_eq!(got.refresh_token.unwrap().expose(), "refresh-a");
        assert!(b.get().unwrap().refresh_token.is_none());
        b.forget();
        assert!(b.get().is_none());
        TokenCache::clear(&dir);
        assert!(a.get().is_none());
        let _ = std::fs::remove_dir_all(dir.path());
    }
}
