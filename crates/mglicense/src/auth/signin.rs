//! Connect-MgGraph as an operation: it may wait minutes for a person (device code, browser), so
//! it runs on the engine's runtime and the front end polls it, showing the events it hands out
//! (the device-code message, the address to open in a browser) and cancelling it on Ctrl+C.

use std::future::Future;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use super::login::{self, Answer};
use super::{Authenticator, Source};
use crate::error::Error;
use crate::transport::Login;

enum Message {
    Event(Value),
    Done(Result<Value, Error>),
}

/// Where a sign-in flow reports what the user must see or do.
#[derive(Clone)]
pub struct Events(Sender<Message>);

impl Events {
    /// A line for the user: `level` is `output` (the command's output, as the official module
    /// writes the device-code prompt), `warning` (shown always) or `verbose`.
    pub fn message(&self, level: &str, text: impl Into<String>) {
        let _ = self.0.send(Message::Event(
            json!({"kind": "message", "level": level, "message": text.into()}),
        ));
    }

    /// Asks the front end to open the system browser at `url`.
    pub fn open_browser(&self, url: &str) {
        let _ = self
            .0
            .send(Message::Event(json!({"kind": "openBrowser", "url": url})));
    }
}

/// A sign-in in progress.
pub struct SignIn {
    receiver: Mutex<Option<Receiver<Message>>>,
    task: JoinHandle<()>,
}

/// What one poll returns: the events since the last poll, and the outcome once it is there.
pub struct Poll {
    pub events: Vec<Value>,
    pub outcome: Option<Result<Value, Error>>,
}

impl SignIn {
    pub(crate) fn spawn<F, Fut>(rt: &Runtime, work: F) -> SignIn
    where
        F: FnOnce(Events) -> Fut,
        Fut: Future<Output = Result<Value, Error>> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel();
        let events = Events(tx.clone());
        let future = work(events);
        let task = rt.spawn(async move {
            let _ = tx.send(Message::Done(crate::runtime::catch_panic(future).await));
        });
        SignIn {
            receiver: Mutex::new(Some(rx)),
            task,
        }
    }

    /// Waits up to `timeout` (`None`: without limit) for an event or the outcome.
    pub fn poll(&self, timeout: Option<Duration>) -> Poll {
        let mut guard = self.receiver.lock().unwrap_or_else(|e| e.into_inner());
        let Some(rx) = guard.as_ref() else {
            return Poll {
                events: vec![],
                outcome: Some(Err(Error::invalid_argument(
                    "The result of this sign-in was already taken.",
                ))),
            };
        };
        let first = match timeout {
            Some(t) => rx.recv_timeout(t),
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        let mut poll = Poll {
            events: vec![],
            outcome: None,
        };
        let mut next = first;
        loop {
            match next {
                Ok(Message::Event(e)) => poll.events.push(e),
                Ok(Message::Done(outcome)) => {
                    poll.outcome = Some(outcome);
                    break;
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => {
                    poll.outcome = Some(Err(Error::cancelled()));
                    break;
                }
            }
            next = match rx.try_recv() {
                Ok(m) => Ok(m),
                Err(mpsc::TryRecvError::Empty) => Err(RecvTimeoutError::Timeout),
                Err(mpsc::TryRecvError::Disconnected) => Err(RecvTimeoutError::Disconnected),
            };
        }
        if poll.outcome.is_some() {
            *guard = None;
        }
        poll
    }

    /// Stops the sign-in; the connection that was stays.
    pub fn cancel(&self) {
        self.task.abort();
    }
}

impl Drop for SignIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Gets the connection's first token, by the flow its source calls for.
pub(crate) async fn first_token(
    auth: &Authenticator,
    login: &Login<'_>,
    events: &Events,
) -> Result<(), Error> {
    match &auth.source {
        Source::Given(_) => Ok(()),
        Source::App { .. } | Source::ManagedIdentity { .. } => {
            if auth.resume(login).await {
                events.message(
                    "verbose",
                    "Signed in with a token kept from an earlier session (-ContextScope CurrentUser).",
                );
                return Ok(());
            }
            auth.bearer(login).await.map(|_| ())
        }
        Source::Delegated {
            token_url,
            client_id,
            scopes,
            login_hint,
            ..
        } => {
            if auth.resume(login).await {
                events.message(
                    "verbose",
                    "Signed in with the sign-in kept from an earlier session (-ContextScope CurrentUser); Disconnect-MgGraph forgets it.",
                );
                return Ok(());
            }
            let issued = if auth.token_credential_type == "DeviceCode" {
                device_code(login, token_url, client_id, scopes, events).await?
            } else {
                browser(
                    login,
                    token_url,
                    client_id,
                    scopes,
                    login_hint.as_deref(),
                    events,
                )
                .await?
            };
            auth.accept(issued).await;
            Ok(())
        }
    }
}

fn sibling(token_url: &str, leaf: &str) -> String {
    format!("{}/{leaf}", token_url.trim_end_matches("/token"))
}

async fn device_code(
    login: &Login<'_>,
    token_url: &str,
    client_id: &str,
    scopes: &str,
    events: &Events,
) -> Result<login::IssuedToken, Error> {
    let url = sibling(token_url, "devicecode");
    let started = match login::post_form(
        login,
        &url,
        &[("client_id", client_id), ("scope", scopes)],
        false,
    )
    .await?
    {
        Answer::Json(v) => v,
        Answer::Refused(r) => return Err(login::refusal_error(&r, &url, client_id, "")),
        Answer::Token(_) => {
            return Err(Error::authentication_failed(format!(
                "{url} answered with a token instead of a device code."
            )))
        }
    };
    let text = |k: &str| started.get(k).and_then(Value::as_str).map(str::to_string);
    let number = |k: &str| {
        started.get(k).and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
    };
    let device_code = super::Secret::new(
        text("device_code")
            .ok_or_else(|| Error::authentication_failed(format!("{url} sent no device_code.")))?,
    );
    let message = text("message").unwrap_or_else(|| {
        format!(
            "To sign in, use a web browser to open the page {} and enter the code {} to authenticate.",
            text("verification_uri").unwrap_or_default(),
            text("user_code").unwrap_or_default()
        )
    });
    // As the official module: the device-code prompt is output, not a warning.
    events.message("output", message);
    let expires_in = Duration::from_secs(number("expires_in").unwrap_or(900));
    let mut interval = Duration::from_secs(number("interval").unwrap_or(5).max(1));
    let deadline = Instant::now() + expires_in;
    loop {
        tokio::time::sleep(interval).await;
        let form = [
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", client_id),
            ("device_code", device_code.expose()),
        ];
        match login::post_form(login, token_url, &form, true).await? {
            Answer::Token(t) => return Ok(t),
            Answer::Refused(r) if r.error == "authorization_pending" => {}
            Answer::Refused(r) if r.error == "slow_down" => interval += Duration::from_secs(5),
            Answer::Refused(r)
                if r.error == "authorization_declined" || r.error == "access_denied" =>
            {
                return Err(Error::authentication_failed("The sign-in was declined at the device-code page. Run Connect-MgGraph again and approve it, or sign in another way."));
            }
            Answer::Refused(r) if r.error == "expired_token" || r.error == "code_expired" => {
                return Err(Error::authentication_failed(format!(
                    "The device code expired before the sign-in was completed ({} s). Run Connect-MgGraph -UseDeviceCode again and complete it sooner.",
                    expires_in.as_secs()
                )));
            }
            Answer::Refused(r) => return Err(login::refusal_error(&r, token_url, client_id, "")),
            Answer::Json(_) => {}
        }
        if Instant::now() >= deadline {
            return Err(Error::authentication_failed(format!(
                "The device code expired before the sign-in was completed ({} s). Run Connect-MgGraph -UseDeviceCode again and complete it sooner.",
                expires_in.as_secs()
            )));
        }
    }
}

/// Authorization code with PKCE: a listener on a loopback port receives the browser's redirect.
async fn browser(
    login: &Login<'_>,
    token_url: &str,
    client_id: &str,
    scopes: &str,
    login_hint: Option<&str>,
    events: &Events,
) -> Result<login::IssuedToken, Error> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| Error::authentication_failed(format!("No loopback port could be opened for the browser's answer ({e}). Use -UseDeviceCode instead.")))?;
    let port = listener
        .local_addr()
        .map_err(|e| Error::runtime(e.to_string()))?
        .port();
    let redirect = format!("http://localhost:{port}");
    let b64 = |b: &[u8]| base64::encode_config(b, base64::URL_SAFE_NO_PAD);
    let verifier = super::Secret::new(b64(&rand_bytes()));
    let challenge =
        b64(ring::digest::digest(&ring::digest::SHA256, verifier.expose().as_bytes()).as_ref());
    let state = uuid::Uuid::new_v4().to_string();
    let enc = login::urlencode;
    let hint = login_hint
        .map(|h| format!("&login_hint={}", enc(h)))
        .unwrap_or_default();
    let url = format!(
        "{}?client_id={}&response_type=code&redirect_uri={}&response_mode=query&scope={}&code_challenge={challenge}&code_challenge_method=S256&state={state}&prompt=select_account{hint}",
        sibling(token_url, "authorize"),
        enc(client_id),
        enc(&redirect),
        enc(scopes)
    );
    events.open_browser(&url);
    events.message(
        "warning",
        format!(
            "Opening the system browser to sign in. If it does not appear, open {} in one.",
            url.split('?').next().unwrap_or("")
        ),
    );

    let wait = async {
        loop {
            let (mut stream, _) = listener.accept().await.map_err(|e| {
                Error::authentication_failed(format!(
                    "The browser's answer could not be received: {e}"
                ))
            })?;
            // Read the whole request head: it may arrive in more than one packet.
            let mut buffer = vec![0u8; 16 * 1024];
            let mut n = 0;
            while n < buffer.len() && !buffer[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer[n..]))
                    .await
                {
                    Ok(Ok(read)) if read > 0 => n += read,
                    _ => break,
                }
            }
            let head = String::from_utf8_lossy(&buffer[..n]).to_string();
            buffer.iter_mut().for_each(|b| *b = 0);
            let target = head.split_whitespace().nth(1).unwrap_or("").to_string();
            let query = target
                .split_once('?')
                .map(|(_, q)| q.to_string())
                .unwrap_or_default();
            let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
            let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            if get("code").is_none() && get("error").is_none() {
                let _ = stream
                    .write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    )
                    .await;
                continue;
            }
            let page = "<html><body>Authentication complete. You can close this window and return to PowerShell.</body></html>";
            let _ = stream
                .write_all(format!("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}", page.len()).as_bytes())
                .await;
            if get("state").as_deref() != Some(state.as_str()) {
                return Err(Error::authentication_failed("The browser's answer did not carry the sign-in's state; it was ignored. Run Connect-MgGraph again."));
            }
            if let Some(error) = get("error") {
                return Err(Error::authentication_failed(format!(
                    "The browser sign-in failed: {error}: {}",
                    get("error_description")
                        .unwrap_or_default()
                        .lines()
                        .next()
                        .unwrap_or("")
                )));
            }
            return Ok(super::Secret::new(get("code").unwrap_or_default()));
        }
    };
    let code = tokio::time::timeout(Duration::from_secs(300), wait)
        .await
        .map_err(|_| Error::authentication_failed("No sign-in arrived from the browser within 5 minutes. Run Connect-MgGraph again, or use -UseDeviceCode where no browser can be used."))??;
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", client_id),
        ("scope", scopes),
        ("code", code.expose()),
        ("redirect_uri", redirect.as_str()),
        ("code_verifier", verifier.expose()),
    ];
    match login::post_form(login, token_url, &form, true).await? {
        Answer::Token(t) => Ok(t),
        Answer::Refused(r) => Err(login::refusal_error(&r, token_url, client_id, "")),
        Answer::Json(_) => Err(Error::authentication_failed("unexpected answer")),
    }
}

fn rand_bytes() -> [u8; 32] {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 32];
    let _ = ring::rand::SystemRandom::new().fill(&mut bytes);
    bytes
}
