//! Environment variables (HTTPS_PROXY, AZURE_CLIENT_ID, IDENTITY_ENDPOINT, ...): the process's,
//! or those the front end saw, looked up through a function so tests never touch the process's.

/// Environment variables, looked up through a function so tests never touch the process's.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process's environment variable `name`; empty or blank counts as unset.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}
