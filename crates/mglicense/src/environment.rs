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

/// The request to change a user-defined environment, or add one (Set-MgEnvironment): an
/// endpoint not given keeps the value it has.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvironmentUpdate {
    pub name: String,
    #[serde(default)]
    pub graph_endpoint: Option<String>,
    #[serde(default, rename = "azureADEndpoint")]
    pub azure_ad_endpoint: Option<String>,
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

    /// Looks an environment up by name, ignoring case as PowerShell users expect. An unknown
    /// name reads as the official Connect-MgGraph says it (ErrorConstants.InvalidEnvironment).
    pub fn get(&self, name: &str) -> Result<&Environment, Error> {
        self.find(name).ok_or_else(|| {
            Error::unknown_environment(format!(
                "Unable to find environment with name '{name}'. Use Get-MgEnvironment to list available environments."
            ))
        })
    }

    fn find(&self, name: &str) -> Option<&Environment> {
        self.list.iter().find(|e| e.name.eq_ignore_ascii_case(name))
    }

    /// A name a user-defined environment can have: trimmed, not empty, and no built-in cloud's,
    /// refused in the official cmdlets' words (ErrorConstants.CannotModifyBuiltInEnvironment) for
    /// `verb` ("add", "change", "remove"), with the name as given.
    fn user_defined_name<'a>(name: &'a str, verb: &str) -> Result<&'a str, Error> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::invalid_argument(
                "The environment name must not be empty.",
            ));
        }
        if BUILT_IN
            .iter()
            .any(|(n, _, _)| n.eq_ignore_ascii_case(name))
        {
            return Err(Error::built_in_environment(format!(
                "Cannot {verb} built-in environment {name}."
            )));
        }
        Ok(name)
    }

    /// Adds or replaces a user-defined environment. Built-in ones cannot be replaced.
    pub fn add(&mut self, new: NewEnvironment) -> Result<Environment, Error> {
        let name = Self::user_defined_name(&new.name, "add")?;
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

    /// Changes the endpoints given of a user-defined environment, or adds one when both are given,
    /// as the official Set-MgEnvironment does; its words for a built-in name and for an endpoint
    /// that neither the request nor the environment has.
    pub fn set(&mut self, update: EnvironmentUpdate) -> Result<Environment, Error> {
        let name = Self::user_defined_name(&update.name, "change")?;
        let given = |what: &str, value: &Option<String>| {
            value
                .as_deref()
                .map(|v| validate_endpoint(what, v))
                .transpose()
        };
        let graph = given("GraphEndpoint", &update.graph_endpoint)?;
        let azure_ad = given("AzureADEndpoint", &update.azure_ad_endpoint)?;
        let existing = self.find(name).cloned();
        let graph = graph.or_else(|| existing.as_ref().map(|e| e.graph_endpoint.clone()));
        let azure_ad = azure_ad.or_else(|| existing.as_ref().map(|e| e.azure_ad_endpoint.clone()));
        let (Some(graph_endpoint), Some(azure_ad_endpoint)) = (graph, azure_ad) else {
            return Err(Error::invalid_argument(
                "Parameter 'GraphEndpoint or AzureADEndpoint' has an invalid endpoint URL. Please use a valid URL with a network protocol i.e. [protocol]://[resource-name].",
            ));
        };
        self.add(NewEnvironment {
            name: existing.map_or_else(|| name.to_string(), |e| e.name),
            graph_endpoint,
            azure_ad_endpoint,
        })
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

    /// Removes a user-defined environment and returns it. The errors read as the official
    /// cmdlet's (RemoveMgEnvironment.cs, GraphSettings.RemoveEnvironment), with the name as given.
    pub fn remove(&mut self, name: &str) -> Result<Environment, Error> {
        let name = Self::user_defined_name(name, "remove")?;
        let env = self
            .find(name)
            .cloned()
            .ok_or_else(|| Error::unknown_environment(format!("Environment {name} not found.")))?;
        self.list.retain(|e| e.name != env.name);
        Ok(env)
    }
}

/// The endpoint's base URL, `scheme://host[:port]`, as the official Add-MgEnvironment keeps it
/// (`GetBaseUrl`: a path, query or fragment is dropped, so `https://graph.example/v1.0` is
/// `https://graph.example`). Only `https`, and plain `http` for loopback hosts (the emulator),
/// so a token can never travel unencrypted over a network; no credentials in the URL.
pub fn validate_endpoint(what: &str, value: &str) -> Result<String, Error> {
    // The official cmdlet's words for a value that is no absolute URL (ErrorConstants.InvalidUrlParameter).
    let invalid = || {
        Error::invalid_argument(format!(
            "Parameter '{what}' has an invalid endpoint URL. Please use a valid URL with a network protocol i.e. [protocol]://[resource-name]."
        ))
    };
    let url = reqwest::Url::parse(value.trim()).map_err(|_| invalid())?;
    if url.cannot_be_a_base() || url.host_str().map_or(true, str::is_empty) {
        return Err(invalid());
    }
    if !url.username().is_empty() || url.password().is_some() {
        // The value is not repeated: its password is a secret.
        return Err(Error::invalid_argument(format!(
            "{what} must not carry a user name or password: give it as https://host[:port]."
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
    Ok(url.origin().ascii_serialization())
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
        let unknown = envs.get("Mars").unwrap_err();
        assert_eq!(unknown.kind, crate::ErrorKind::UnknownEnvironment);
        assert_eq!(
            unknown.message,
            "Unable to find environment with name 'Mars'. Use Get-MgEnvironment to list available environments."
        );
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
        assert_eq!(
            add(&mut envs, "https://graph.example/v1.0?x=1#f")
                .unwrap()
                .graph_endpoint,
            "https://graph.example",
            "the base URL, as the official GetBaseUrl keeps it"
        );
        assert_eq!(
            add(&mut envs, "https://Graph.Example:443/beta/")
                .unwrap()
                .graph_endpoint,
            "https://graph.example"
        );
        assert_eq!(
            add(&mut envs, "http://127.0.0.1:8080/x")
                .unwrap()
                .graph_endpoint,
            "http://127.0.0.1:8080"
        );
        assert!(add(&mut envs, "https://user:pw@graph.example").is_err());
        assert_eq!(
            add(&mut envs, "graph.example").unwrap_err().message,
            "Parameter 'GraphEndpoint' has an invalid endpoint URL. Please use a valid URL with a network protocol i.e. [protocol]://[resource-name]."
        );
        assert_eq!(envs.all().iter().filter(|e| e.name == "Custom").count(), 1);
    }

    #[test]
    fn an_endpoint_with_credentials_is_refused_without_repeating_them() {
        for value in [
            "https://admin:hunter2-31@graph.example",
            "http://admin:hunter2-31@graph.example",
            "ftp://admin:hunter2-31@graph.example",
            "https://:hunter2-31@graph.example",
        ] {
            let e = validate_endpoint("GraphEndpoint", value).unwrap_err();
            assert_eq!(e.kind, crate::ErrorKind::InvalidArgument);
            assert!(e.message.starts_with("GraphEndpoint "), "{}", e.message);
            assert!(!e.message.contains("hunter2-31"), "{}", e.message);
        }
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
    fn set_changes_the_endpoints_given_and_keeps_the_others() {
        let mut envs = Environments::default();
        let update = |name: &str, graph: Option<&str>, aad: Option<&str>| EnvironmentUpdate {
            name: name.into(),
            graph_endpoint: graph.map(Into::into),
            azure_ad_endpoint: aad.map(Into::into),
        };
        let e = envs
            .set(update("Fresh", Some("https://graph.fresh/v1.0"), None))
            .unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::InvalidArgument);
        assert!(e.message.starts_with(
            "Parameter 'GraphEndpoint or AzureADEndpoint' has an invalid endpoint URL."
        ));
        let added = envs
            .set(update(
                "Fresh",
                Some("https://graph.fresh/v1.0"),
                Some("https://login.fresh"),
            ))
            .unwrap();
        assert_eq!(added.graph_endpoint, "https://graph.fresh");
        let changed = envs
            .set(update("fresh", None, Some("https://login2.fresh/x")))
            .unwrap();
        assert_eq!(changed.name, "Fresh", "the name keeps its spelling");
        assert_eq!(changed.graph_endpoint, "https://graph.fresh");
        assert_eq!(changed.azure_ad_endpoint, "https://login2.fresh");
        assert_eq!(envs.all().iter().filter(|e| e.name == "Fresh").count(), 1);
        let e = envs
            .set(update("USGov", Some("https://x"), None))
            .unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::BuiltInEnvironment);
        assert_eq!(e.message, "Cannot change built-in environment USGov.");
    }

    #[test]
    fn built_in_environments_cannot_be_replaced_or_removed() {
        let mut envs = Environments::default();
        let r = envs.add(NewEnvironment {
            name: "global".into(),
            graph_endpoint: "https://x".into(),
            azure_ad_endpoint: "https://y".into(),
        });
        let e = r.unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::BuiltInEnvironment);
        assert_eq!(e.message, "Cannot add built-in environment global.");
        let e = envs.remove("Global").unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::BuiltInEnvironment);
        assert_eq!(e.message, "Cannot remove built-in environment Global.");
        let e = envs.remove("Nowhere").unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::UnknownEnvironment);
        assert_eq!(e.message, "Environment Nowhere not found.");
    }
}
