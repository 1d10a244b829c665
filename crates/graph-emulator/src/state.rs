//! The state every request handler shares: the tenant, the tokens, the request log, throttling and faults.

use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use crate::auth::TokenIssuer;
use crate::faults::{FaultProfile, Faults};
use crate::log::RequestLog;
use crate::tenant::Tenant;
use crate::throttle::{Throttle, ThrottleConfig};

/// Everything a request handler may touch. Locks are held only for short, await-free sections.
pub struct State {
    base_url: String,
    tenant: Mutex<Tenant>,
    tokens: TokenIssuer,
    log: Mutex<RequestLog>,
    throttle: Mutex<Throttle>,
    faults: Mutex<Faults>,
    seed: Option<u64>,
}

impl State {
    pub fn new(base_url: String, tenant: Tenant) -> Self {
        State::with(
            base_url,
            tenant,
            ThrottleConfig::default(),
            FaultProfile::default(),
            None,
        )
    }

    pub fn with(
        base_url: String,
        tenant: Tenant,
        throttle: ThrottleConfig,
        faults: FaultProfile,
        seed: Option<u64>,
    ) -> Self {
        State {
            base_url,
            tenant: Mutex::new(tenant),
            tokens: TokenIssuer::default(),
            log: Mutex::default(),
            throttle: Mutex::new(Throttle::new(throttle)),
            faults: Mutex::new(Faults::new(faults, seed)),
            seed,
        }
    }

    pub fn throttle(&self) -> MutexGuard<'_, Throttle> {
        self.throttle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The `--seed` the emulator started with, reused when faults are replaced at runtime.
    pub fn seed(&self) -> Option<u64> {
        self.seed
    }

    /// `http://127.0.0.1:<port>`, also used in `@odata.context` where Graph names itself.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Users whose processing delay has passed are processed here, before anyone reads or changes the
    /// tenant, so delayed reprocessing needs no background task and every view sees it once due.
    pub fn tenant(&self) -> MutexGuard<'_, Tenant> {
        // A panic in one handler must not take the whole emulator down with a poisoned lock.
        let mut tenant = self
            .tenant
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        tenant.process_due(Instant::now());
        tenant
    }

    pub fn tokens(&self) -> &TokenIssuer {
        &self.tokens
    }

    pub fn log(&self) -> MutexGuard<'_, RequestLog> {
        self.log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
