//! Clouds: which Graph endpoint and which login authority a connection talks to.
//!
//! A token is only ever sent to its environment's Graph endpoint, so the environment is the
//! unit of trust; custom environments are how admins reach other clouds and how tests reach
//! the local emulator.

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Whether an environment ships with MgLicense or was added by the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EnvironmentKind {
    #[serde(rename = "Built-in")]
    BuiltIn,
    #[serde(rename = "User-defined")]
    UserDefined,
}

/// A named cloud.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Environment {
    pub name: String,
    pub graph_endpoint: String,
    #[serde(rename = "azureADEndpoint")]
    pub azure_ad_endpoint: String,
    #[serde(rename = "type")]
    pub kind: EnvironmentKind,
}

/// The request to add a custom environment (Add-MgEnvironment).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewEnvironment {
    pub name: String,
    pub graph_endpoint: String,
    #[serde(rename = "azureADEndpoint")]
    pub azure_ad_endpoint: String,
}

/// The national clouds the official module knows (Get-MgEnvironment), with the endpoints
/// <https://learn.microsoft.com/en-us/graph/deployments> lists.
const BUILT_IN: &[(&str, &str, &str)] = &[
    (
        "Global",
        "https://graph.microsoft.com",
        "https://login.microsoftonline.com",
    ),
    (
        "USGov",
        "https://graph.microsoft.us",
        "https://login.microsoftonline.us",
    ),
    (
        "USGovDoD",
        "https://dod-graph.microsoft.us",
        "https://login.microsoftonline.us",
    ),
    (
        "China",
        "https://microsoftgraph.chinacloudapi.cn",
        "https://login.chinacloudapi.cn",
    ),
    // The sovereign clouds the official module lists since 2.36 (France, Germany, Singapore).
    (
        "BleuCloud",
        "https://graph.svc.sovcloud.fr",
        "https://login.sovcloud-identity.fr",
    ),
    (
        "DelosCloud",
        "https://graph.svc.sovcloud.de",
        "https://login.sovcloud-identity.de",
    ),
    (
        "GovSGCloud",
        "https://graph.svc.sovcloud.sg",
        "https://login.sovcloud-identity.sg",
    ),
];

/// The file in the settings directory that keeps user-defined environments.
pub const FILE: &str = "environments.json";

/// The environments a client knows: the built-in clouds plus those the user added.
#[derive(Clone, Debug)]
pub struct Environments {
    list: Vec<Environment>,
}

impl Default for Environments {
    fn default() -> Self {
        let list = BUILT_IN
            .iter()
            .map(|(name, graph, aad)| Environment {
                name: (*name).into(),
                graph_endpoint: (*graph).into(),
                azure_ad_endpoint: (*aad).into(),
                kind: EnvironmentKind::BuiltIn,
            })
            .collect();
        Environments { list }
    }
}

impl Environments {
    pub fn all(&self) -> &[Environment] {
        &self.list
    }

    /// Looks an environment up by name, ignoring case as PowerShell users expect.
    pub fn get(&self, name: &str) -> Result<&Environment, Error> {
        self.list
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                let known: Vec<&str> = self.list.iter().map(|e| e.name.as_str()).collect();
                Error::invalid_argument(format!(
                    "Unknown environment '{name}'. Known environments: {}.",
                    known.join(", ")
                ))
            })
    }

    /// Adds or replaces a user-defined environment. Built-in ones cannot be replaced.
    pub fn add(&mut self, new: NewEnvironment) -> Result<Environment, Error> {
        let name = new.name.trim();
        if name.is_empty() {
            return Err(Error::invalid_argument(
                "The environment name must not be empty.",
            ));
        }
        if let Some(existing) = self.list.iter().find(|e| e.name.eq_ignore_ascii_case(name)) {
            if existing.kind == EnvironmentKind::BuiltIn {
                return Err(Error::invalid_argument(format!(
                    "'{}' is a built-in environment and cannot be replaced.",
                    existing.name
                )));
            }
        }
        let env = Environment {
            name: name.to_string(),
            graph_endpoint: validate_endpoint("GraphEndpoint", &new.graph_endpoint)?,
            azure_ad_endpoint: validate_endpoint("AzureADEndpoint", &new.azure_ad_endpoint)?,
            kind: EnvironmentKind::UserDefined,
        };
        self.list.retain(|e| !e.name.eq_ignore_ascii_case(name));
        self.list.push(env.clone());
        Ok(env)
    }

    /// Replaces the user-defined environments with those saved in `settings` (none when there
    /// is no file). An entry that is no longer valid, or names a built-in cloud, is skipped.
    pub fn load(&mut self, settings: &crate::settings::SettingsDirectory) {
        let saved: Vec<NewEnvironment> = settings
            .read(FILE, crate::settings::Protection::Plain)
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        self.list.retain(|e| e.kind == EnvironmentKind::BuiltIn);
        for environment in saved {
            let _ = self.add(environment);
        }
    }

    /// Writes the user-defined environments to `settings`.
    pub fn save(&self, settings: &crate::settings::SettingsDirectory) -> Result<(), Error> {
        let user: Vec<serde_json::Value> = self
            .list
            .iter()
            .filter(|e| e.kind == EnvironmentKind::UserDefined)
            .map(|e| {
                serde_json::json!({
                    "name": e.name,
                    "graphEndpoint": e.graph_endpoint,
                    "azureADEndpoint": e.azure_ad_endpoint,
                })
            })
            .collect();
        let text = serde_json::to_vec_pretty(&user).map_err(|e| Error::runtime(e.to_string()))?;
        settings.write(FILE, crate::settings::Protection::Plain, &text)
    }

    /// Removes a user-defined environment and returns it.
    pub fn remove(&mut self, name: &str) -> Result<Environment, Error> {
        let env = self.get(name)?.clone();
        if env.kind == EnvironmentKind::BuiltIn {
            return Err(Error::invalid_argument(format!(
                "'{}' is a built-in environment and cannot be removed.",
                env.name
            )));
        }
        self.list.retain(|e| e.name != env.name);
        Ok(env)
    }
}

/// Accepts `https://host[:port][/path]`, and plain `http` only for loopback hosts (the
/// emulator), so a token can never travel unencrypted over a network.
pub fn validate_endpoint(what: &str, value: &str) -> Result<String, Error> {
    let trimmed = value.trim().trim_end_matches('/');
    let url = reqwest::Url::parse(trimmed).map_err(|e| {
        Error::invalid_argument(format!("{what} '{value}' is not an absolute URL: {e}."))
    })?;
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(Error::invalid_argument(format!(
            "{what} '{value}' must not carry a query, a fragment or credentials."
        )));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(Error::invalid_argument(format!(
                "{what} '{value}' uses http; only https is allowed, except for loopback addresses."
            )))
        }
        other => {
            return Err(Error::invalid_argument(format!(
                "{what} '{value}' uses the scheme '{other}'; only https is allowed."
            )))
        }
    }
    if url.host_str().map_or(true, str::is_empty) {
        return Err(Error::invalid_argument(format!(
            "{what} '{value}' has no host."
        )));
    }
    Ok(trimmed.to_string())
}

/// True for 127.0.0.0/8, ::1 and `localhost`.
pub fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_clouds_are_known_by_any_case() {
        let envs = Environments::default();
        assert_eq!(
            envs.get("usgovdod").unwrap().graph_endpoint,
            "https://dod-graph.microsoft.us"
        );
        assert_eq!(
            envs.get("China").unwrap().azure_ad_endpoint,
            "https://login.chinacloudapi.cn"
        );
        assert!(envs
            .get("Mars")
            .unwrap_err()
            .message
            .contains("Known environments: Global"));
    }

    #[test]
    fn custom_environments_accept_https_and_loopback_http_only() {
        let mut envs = Environments::default();
        let add = |envs: &mut Environments, g: &str| {
            envs.add(NewEnvironment {
                name: "Custom".into(),
                graph_endpoint: g.into(),
                azure_ad_endpoint: "https://login.example".into(),
            })
        };
        assert_eq!(
            add(&mut envs, "https://graph.example/")
                .unwrap()
                .graph_endpoint,
            "https://graph.example"
        );
        assert!(add(&mut envs, "http://127.0.0.1:8080").is_ok());
        assert!(add(&mut envs, "http://[::1]:8080").is_ok());
        assert!(add(&mut envs, "http://localhost:1").is_ok());
        assert!(add(&mut envs, "http://graph.example")
            .unwrap_err()
            .message
            .contains("only https"));
        assert!(add(&mut envs, "ftp://graph.example").is_err());
        assert!(add(&mut envs, "graph.example").is_err());
        assert!(add(&mut envs, "https://graph.example/?x=1").is_err());
        assert_eq!(envs.all().iter().filter(|e| e.name == "Custom").count(), 1);
    }

    #[test]
    fn user_defined_environments_are_saved_and_loaded_and_built_ins_stay() {
        let dir = crate::settings::SettingsDirectory::new(
            std::env::temp_dir().join(format!("mglicense-env-{}", uuid::Uuid::new_v4())),
        );
        let mut envs = Environments::default();
        envs.add(NewEnvironment {
            name: "Emu".into(),
            graph_endpoint: "http://127.0.0.1:1".into(),
            azure_ad_endpoint: "http://127.0.0.1:2".into(),
        })
        .unwrap();
        envs.save(&dir).unwrap();
        let mut other = Environments::default();
        other.load(&dir);
        assert_eq!(
            other.get("emu").unwrap().graph_endpoint,
            "http://127.0.0.1:1"
        );
        assert_eq!(other.all().len(), BUILT_IN.len() + 1);
        assert_eq!(
            other.get("BleuCloud").unwrap().graph_endpoint,
            "https://graph.svc.sovcloud.fr"
        );
        let _ = std::fs::remove_dir_all(dir.path());
    }

    #[test]
    fn built_in_environments_cannot_be_replaced_or_removed() {
        let mut envs = Environments::default();
        let r = envs.add(NewEnvironment {
            name: "global".into(),
            graph_endpoint: "https://x".into(),
            azure_ad_endpoint: "https://y".into(),
        });
        assert!(r.unwrap_err().message.contains("built-in"));
        assert!(envs.remove("Global").is_err());
    }
}
