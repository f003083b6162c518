//! One HTTP/2 connection per peer task, used by every client call to that peer: made on first use,
//! made again on the next call after it fails. Requests go straight to hyper's HTTP/2 sender; unlike
//! tonic's `Channel` there is no request queue and background task between the caller and the
//! connection, which saves a task hop on every call (a third of an empty call's round trip here).
//!
//! Concurrency: a `PeerChannel` is a cheap clone; calls on it run concurrently as HTTP/2 streams.
//! The current sender sits behind a mutex held only to clone it; connecting is serialized by an
//! async mutex so that concurrent first calls make one connection.

use crate::transport;
use ferroflow_framework::{Error, Result};
use futures::future::BoxFuture;
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use parking_lot::Mutex;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tonic::body::Body;
use tower_service::Service;

/// How long connecting to a peer may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The client side of the connection to one peer.
#[derive(Clone)]
pub struct PeerChannel {
    shared: Arc<Shared>,
}

struct Shared {
    address: String,
    current: Mutex<Option<SendRequest<Body>>>,
    connecting: tokio::sync::Mutex<()>,
}

impl PeerChannel {
    /// A channel to `host:port`; nothing is connected until the first call.
    pub fn new(address: &str) -> PeerChannel {
        PeerChannel { shared: Arc::new(Shared { address: address.to_string(), current: Mutex::new(None), connecting: tokio::sync::Mutex::new(()) }) }
    }

    pub fn address(&self) -> &str {
        &self.shared.address
    }

    fn live_sender(&self) -> Option<SendRequest<Body>> {
        self.shared.current.lock().as_ref().filter(|s| !s.is_closed()).cloned()
    }

    /// The connection's sender, connecting first if there is none or it has failed.
    async fn sender(&self) -> Result<SendRequest<Body>> {
        if let Some(sender) = self.live_sender() {
            return Ok(sender);
        }
        let _connecting = self.shared.connecting.lock().await;
        if let Some(sender) = self.live_sender() {
            return Ok(sender);
        }
        let sender = connect(&self.shared.address).await?;
        *self.shared.current.lock() = Some(sender.clone());
        Ok(sender)
    }

    /// Sends one request (its URI may be just the path) and returns the response head with its
    /// streaming body.
    pub async fn send(&self, mut request: http::Request<Body>) -> Result<http::Response<Body>> {
        if request.uri().authority().is_none() {
            let path = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
            *request.uri_mut() = http::Uri::builder()
                .scheme("http")
                .authority(self.shared.address.as_str())
                .path_and_query(path)
                .build()
                .map_err(|e| Error::invalid_argument(format!("Bad peer address '{}': {e}", self.shared.address)))?;
        }
        let mut sender = self.sender().await?;
        sender.ready().await.map_err(|e| self.unavailable(&e))?;
        let response = sender.send_request(request).await.map_err(|e| self.unavailable(&e))?;
        Ok(response.map(Body::new))
    }

    fn unavailable(&self, e: &hyper::Error) -> Error {
        Error::unavailable(format!("Connection to {} failed: {}", self.shared.address, error_chain(e)))
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

async fn connect(address: &str) -> Result<SendRequest<Body>> {
    let unavailable = |what: &str, e: &dyn std::error::Error| Error::unavailable(format!("Cannot connect to {address}: {what}{}", error_chain(e)));
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(address))
        .await
        .map_err(|_| Error::unavailable(format!("Cannot connect to {address}: timed out after {CONNECT_TIMEOUT:?}")))?
        .map_err(|e| unavailable("", &e))?;
    stream.set_nodelay(true).map_err(|e| unavailable("TCP_NODELAY: ", &e))?;
    let mut builder = hyper::client::conn::http2::Builder::new(TokioExecutor::new());
    builder
        .timer(TokioTimer::new())
        .initial_stream_window_size(transport::STREAM_WINDOW)
        .initial_connection_window_size(transport::CONNECTION_WINDOW)
        .max_frame_size(transport::MAX_FRAME)
        .keep_alive_interval(transport::KEEP_ALIVE_INTERVAL)
        .keep_alive_while_idle(true);
    let (sender, connection) = builder.handshake(TokioIo::new(stream)).await.map_err(|e| unavailable("HTTP/2 handshake: ", &e))?;
    let peer = address.to_string();
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(%peer, error = %error_chain(&e), "connection ended");
        }
    });
    Ok(sender)
}

/// Lets tonic's generated clients call through a `PeerChannel`.
impl Service<http::Request<Body>> for PeerChannel {
    type Response = http::Response<Body>;
    type Error = tonic::Status;
    type Future = BoxFuture<'static, std::result::Result<http::Response<Body>, tonic::Status>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<std::result::Result<(), tonic::Status>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let channel = self.clone();
        Box::pin(async move { channel.send(request).await.map_err(tonic::Status::from) })
    }
}
