//! What one call costs the engine, against a bare reqwest POST loop in the same process.
//!
//! Runs against a Graph emulator started on its own (`graph-emulator --users tests/data/tenant.json --port 0`),
//! with a token minted from it (`POST /_emulator/tokens`), so the emulator's own work is in another process and
//! this process's CPU time is the client's alone:
//!
//!   cargo run --release --example call_cost -p mglicense -- <base url> <token file> <user id> [calls]
//!
//! For each way it prints the wall time and this process's CPU time (user + system) per call.
use std::sync::Arc;
use std::time::{Duration, Instant};

use mglicense::bulk::{Bulk, BulkOptions, Next, Refused};
use mglicense::client::ConnectRequest;
use mglicense::environment::NewEnvironment;
use mglicense::{Client, ClientConfig, RequestSpec};

fn cpu_seconds() -> f64 {
    // utime and stime, fields 14 and 15 of /proc/self/stat, in clock ticks (100 a second on Linux).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn report(name: &str, calls: usize, wall: Duration, cpu: f64) {
    println!(
        "{name:<34} {:>8.1} µs/call wall {:>8.1} µs/call CPU",
        wall.as_secs_f64() * 1e6 / calls as f64,
        cpu * 1e6 / calls as f64
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: call_cost <base url> <token file> <user id> [calls]");
        std::process::exit(64);
    }
    let (base, user) = (args[1].trim_end_matches('/').to_string(), args[3].clone());
    let token = std::fs::read_to_string(&args[2])
        .expect("token file")
        .trim()
        .to_string();
    let calls: usize = args.get(4).and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let url = format!("{base}/v1.0/users/{user}/reprocessLicenseAssignment");

    // The floor: reqwest on a two-worker runtime, one POST at a time, body read.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let http = reqwest::Client::new();
    for round in 0..2 {
        let (started, cpu) = (Instant::now(), cpu_seconds());
        rt.block_on(async {
            for _ in 0..calls {
                let answer = http
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-length", "0")
                    .send()
                    .await
                    .unwrap();
                assert!(answer.status().is_success());
                answer.bytes().await.unwrap();
            }
        });
        if round == 1 {
            report(
                "bare reqwest POST loop",
                calls,
                started.elapsed(),
                cpu_seconds() - cpu,
            );
        }
    }

    // The same loop on a current-thread runtime driven by this thread: no other thread is woken for a call, which is what
    // a request run on the caller's thread could save.
    let ct = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let http2 = reqwest::Client::new();
    for round in 0..2 {
        let (started, cpu) = (Instant::now(), cpu_seconds());
        for _ in 0..calls {
            ct.block_on(async {
                let answer = http2
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-length", "0")
                    .send()
                    .await
                    .unwrap();
                assert!(answer.status().is_success());
                answer.bytes().await.unwrap();
            });
        }
        if round == 1 {
            report(
                "reqwest, current-thread block_on",
                calls,
                started.elapsed(),
                cpu_seconds() - cpu,
            );
        }
    }

    let client: Arc<Client> = Client::new(ClientConfig::default()).unwrap();
    client
        .add_environment(NewEnvironment {
            name: "Cost".into(),
            graph_endpoint: base.clone(),
            azure_ad_endpoint: base.clone(),
        })
        .unwrap();
    client
        .connect(ConnectRequest {
            access_token: token.clone().into(),
            environment: Some("Cost".into()),
        })
        .unwrap();
    let spec: RequestSpec = serde_json::from_value(serde_json::json!({
        "operation": "reprocessLicenseAssignment", "identity": {"UserId": user}
    }))
    .unwrap();

    for round in 0..2 {
        let (started, cpu) = (Instant::now(), cpu_seconds());
        for _ in 0..calls {
            client.execute(&spec).unwrap();
        }
        if round == 1 {
            report(
                "engine, one call at a time",
                calls,
                started.elapsed(),
                cpu_seconds() - cpu,
            );
        }
    }

    // As Invoke-MgLicenseUser in a foreach loop: a bulk run of one input per call.
    for round in 0..2 {
        let (started, cpu) = (Instant::now(), cpu_seconds());
        for _ in 0..calls {
            let bulk = Bulk::new(Arc::clone(&client), BulkOptions::default()).unwrap();
            bulk.submit(&spec).unwrap();
            bulk.finish_input();
            match bulk.next(None) {
                Next::Item(_, outcome) => drop(outcome.unwrap()),
                other => panic!("{other:?}"),
            }
        }
        if round == 1 {
            report(
                "engine, bulk run of one per call",
                calls,
                started.elapsed(),
                cpu_seconds() - cpu,
            );
        }
    }

    // As the pipeline: one bulk run, default limit, results taken as they come.
    for round in 0..2 {
        let (started, cpu) = (Instant::now(), cpu_seconds());
        let bulk = Bulk::new(Arc::clone(&client), BulkOptions::default()).unwrap();
        let mut taken = 0;
        for _ in 0..calls {
            loop {
                match bulk.submit(&spec) {
                    Ok(_) => break,
                    Err(Refused::Busy) => {
                        if let Next::Item(_, outcome) = bulk.next(None) {
                            outcome.unwrap();
                            taken += 1;
                        }
                    }
                    Err(other) => panic!("{other:?}"),
                }
            }
        }
        bulk.finish_input();
        while let Next::Item(_, outcome) = bulk.next(None) {
            outcome.unwrap();
            taken += 1;
        }
        assert_eq!(taken, calls);
        if round == 1 {
            report(
                "engine, one bulk run (pipeline)",
                calls,
                started.elapsed(),
                cpu_seconds() - cpu,
            );
        }
    }
}
