//! One HTTP/2 connection per peer task, used by every client call to that peer: made on first use,
//! made again on the next call after it fails. Requests go straight to hyper's HTTP/2 sender; unlike
//! tonic's `Channel` there is no request queue and background task between the caller and the
//! connection, which saves a task hop on every call (a third of an empty call's round trip here).
//!
//! A hung peer is found while calls to it are pending: the connection PINGs it (see
//! [`crate::transport::Liveness`]) and closes when a PING goes unanswered, and every call pending
//! on it fails with UNAVAILABLE naming the peer as not responding. Each connection records when it
//! last read anything from the peer, which tells such a failure from others. Connections to a peer
//! ping freely once the peer has said it accepts that (a ferroflow server's reply header); until
//! then they ping only as often as gRPC C++ servers tolerate, and the first reply that says so
//! retires the connection for a freely pinging one (calls already on it finish there).
//! Connecting — TCP, TLS, HTTP/2 handshake — is bounded by the peer timeout too.
//!
//! With TLS options the connection is TLS (rustls): the server must present a certificate of the
//! cluster's CA naming the host dialled, and this task presents its own (see [`crate::tls`]).
//!
//! Concurrency: a `PeerChannel` is a cheap clone; calls on it run concurrently as HTTP/2 streams.
//! The current connection sits behind a mutex held only to clone or replace it; connecting is
//! serialized by an async mutex so that concurrent first calls make one connection.

use crate::transport::{self, Liveness};
use bytes::Bytes;
use ferroflow_framework::{Error, Result};
use futures::future::BoxFuture;
use http_body::{Frame, SizeHint};
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use parking_lot::Mutex;
use rustls_pki_types::ServerName;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tonic::body::Body;
use tower_service::Service;

/// How a task's channels connect: the same for every peer.
#[derive(Clone)]
pub struct ChannelOptions {
    /// How long a peer may leave a pending call without a sign of life, and a connection may take.
    pub peer_timeout: Duration,
    /// TLS client settings; plaintext without.
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

impl Default for ChannelOptions {
    fn default() -> ChannelOptions {
        ChannelOptions { peer_timeout: transport::DEFAULT_PEER_TIMEOUT, tls: None }
    }
}

/// The client side of the connection to one peer.
#[derive(Clone)]
pub struct PeerChannel {
    shared: Arc<Shared>,
}

struct Shared {
    address: String,
    /// The peer as error messages name it: `TASK (host:port)`, or `host:port`.
    peer: String,
    options: ChannelOptions,
    current: Mutex<Option<Connection>>,
    connecting: tokio::sync::Mutex<()>,
    /// The peer has said it accepts PINGs at any rate.
    pings_accepted: AtomicBool,
}

#[derive(Clone)]
struct Connection {
    sender: SendRequest<Body>,
    watch: Arc<ConnectionWatch>,
}

/// What one connection knows of its peer's liveness: how it pings, and when it last read anything.
struct ConnectionWatch {
    liveness: Liveness,
    pings_freely: bool,
    opened: Instant,
    last_heard_nanos: AtomicU64,
}

impl ConnectionWatch {
    fn new(liveness: Liveness, pings_freely: bool) -> ConnectionWatch {
        ConnectionWatch { liveness, pings_freely, opened: Instant::now(), last_heard_nanos: AtomicU64::new(0) }
    }

    fn heard(&self) {
        self.heard_at(Instant::now());
    }

    fn heard_at(&self, now: Instant) {
        self.last_heard_nanos.store(now.saturating_duration_since(self.opened).as_nanos() as u64, Ordering::Relaxed);
    }

    /// How long nothing has been read from the peer.
    fn silence(&self) -> Duration {
        self.silence_at(Instant::now())
    }

    fn silence_at(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.opened).saturating_sub(Duration::from_nanos(self.last_heard_nanos.load(Ordering::Relaxed)))
    }

    /// Whether the peer has been silent long enough that the connection can only have ended
    /// because a PING went unanswered: any frame, EOF or error read from the socket counts as
    /// hearing from it.
    fn peer_went_silent(&self) -> bool {
        self.silence() >= self.liveness.answer_within
    }
}

impl PeerChannel {
    /// A channel to `host:port` with default options; nothing is connected until the first call.
    pub fn new(address: &str) -> PeerChannel {
        PeerChannel::with_options(None, address, ChannelOptions::default())
    }

    /// A channel to the task `task` (named in errors) at `address`.
    pub fn with_options(task: Option<&str>, address: &str, options: ChannelOptions) -> PeerChannel {
        let peer = match task {
            Some(task) => format!("{task} ({address})"),
            None => address.to_string(),
        };
        PeerChannel {
            shared: Arc::new(Shared {
                address: address.to_string(),
                peer,
                options,
                current: Mutex::new(None),
                connecting: tokio::sync::Mutex::new(()),
                pings_accepted: AtomicBool::new(false),
            }),
        }
    }

    pub fn address(&self) -> &str {
        &self.shared.address
    }

    fn live_connection(&self) -> Option<Connection> {
        self.shared.current.lock().as_ref().filter(|c| !c.sender.is_closed()).cloned()
    }

    /// The current connection, connecting first if there is none or it has failed.
    async fn connection(&self) -> Result<Connection> {
        if let Some(connection) = self.live_connection() {
            return Ok(connection);
        }
        let _connecting = self.shared.connecting.lock().await;
        if let Some(connection) = self.live_connection() {
            return Ok(connection);
        }
        let connection = self.connect().await?;
        *self.shared.current.lock() = Some(connection.clone());
        Ok(connection)
    }

    /// Sends one request (its URI may be just the path) and returns the response head with its
    /// streaming body.
    pub async fn send(&self, mut request: http::Request<Body>) -> Result<http::Response<Body>> {
        if request.uri().authority().is_none() {
            let path = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
            *request.uri_mut() = http::Uri::builder()
                .scheme(if self.shared.options.tls.is_some() { "https" } else { "http" })
                .authority(self.shared.address.as_str())
                .path_and_query(path)
                .build()
                .map_err(|e| Error::invalid_argument(format!("Bad peer address '{}': {e}", self.shared.address)))?;
        }
        let connection = self.connection().await?;
        let mut sender = connection.sender.clone();
        sender.ready().await.map_err(|e| self.failure(&connection.watch, &e))?;
        let response = sender.send_request(request).await.map_err(|e| self.failure(&connection.watch, &e))?;
        if !connection.watch.pings_freely && transport::pings_accepted(response.headers()) {
            self.retire_for_free_pings(&connection);
        }
        let channel = self.clone();
        Ok(response.map(|body| Body::new(WatchedBody { body, channel, watch: connection.watch })))
    }

    /// The peer accepts PINGs at any rate: the next call connects anew, with free pings.
    fn retire_for_free_pings(&self, connection: &Connection) {
        if !self.shared.pings_accepted.swap(true, Ordering::Relaxed) {
            tracing::debug!(peer = %self.shared.peer, "peer accepts PINGs at any rate");
        }
        let mut current = self.shared.current.lock();
        if current.as_ref().is_some_and(|c| Arc::ptr_eq(&c.watch, &connection.watch)) {
            *current = None;
        }
    }

    /// The error of a call that failed on `watch`'s connection.
    fn failure(&self, watch: &ConnectionWatch, e: &dyn std::error::Error) -> Error {
        if watch.peer_went_silent() {
            Error::unavailable(format!(
                "{} is not responding: nothing received from it for {:.1}s, not even the answer to a PING ({})",
                self.shared.peer,
                watch.silence().as_secs_f64(),
                error_chain(e)
            ))
        } else {
            Error::unavailable(format!("Connection to {} failed: {}", self.shared.peer, error_chain(e)))
        }
    }

    /// Connects: TCP, TLS if configured, the HTTP/2 handshake; all within the peer timeout.
    async fn connect(&self) -> Result<Connection> {
        let shared = &self.shared;
        let pings_freely = shared.pings_accepted.load(Ordering::Relaxed);
        let liveness = if pings_freely { Liveness::within(shared.options.peer_timeout) } else { Liveness::GRPC_DEFAULT };
        let watch = Arc::new(ConnectionWatch::new(liveness, pings_freely));
        let timeout = shared.options.peer_timeout;
        let sender = tokio::time::timeout(timeout, self.handshake(watch.clone()))
            .await
            .map_err(|_| Error::unavailable(format!("{} is not responding: no connection within {timeout:?}", shared.peer)))??;
        Ok(Connection { sender, watch })
    }

    async fn handshake(&self, watch: Arc<ConnectionWatch>) -> Result<SendRequest<Body>> {
        let shared = &self.shared;
        let cannot = |what: &str, e: &dyn std::error::Error| Error::unavailable(format!("Cannot connect to {}: {what}{}", shared.peer, error_chain(e)));
        let stream = tokio::net::TcpStream::connect(&shared.address).await.map_err(|e| cannot("", &e))?;
        stream.set_nodelay(true).map_err(|e| cannot("TCP_NODELAY: ", &e))?;
        let io = WatchedIo { io: stream, watch: watch.clone() };
        match &shared.options.tls {
            None => http2_handshake(self, TokioIo::new(io), watch).await,
            Some(config) => {
                let name = server_name(&shared.address)?;
                let tls = tokio_rustls::TlsConnector::from(config.clone()).connect(name, io).await.map_err(|e| cannot("TLS handshake: ", &e))?;
                http2_handshake(self, TokioIo::new(tls), watch).await
            }
        }
    }
}

/// The name a TLS server's certificate must carry: the host of `host:port` (a DNS name or an IP).
fn server_name(address: &str) -> Result<ServerName<'static>> {
    let host = address.rsplit_once(':').map_or(address, |(h, _)| h);
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    ServerName::try_from(host.to_string()).map_err(|e| Error::invalid_argument(format!("'{address}' has no host a TLS certificate can name: {e}")))
}

async fn http2_handshake<IO>(channel: &PeerChannel, io: IO, watch: Arc<ConnectionWatch>) -> Result<SendRequest<Body>>
where
    IO: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let mut builder = hyper::client::conn::http2::Builder::new(TokioExecutor::new());
    builder
        .timer(TokioTimer::new())
        .initial_stream_window_size(transport::STREAM_WINDOW)
        .initial_connection_window_size(transport::CONNECTION_WINDOW)
        .max_frame_size(transport::MAX_FRAME)
        .keep_alive_interval(watch.liveness.ping_after)
        .keep_alive_timeout(watch.liveness.answer_within)
        .keep_alive_while_idle(false);
    let (sender, connection) = builder
        .handshake(io)
        .await
        .map_err(|e| Error::unavailable(format!("Cannot connect to {}: HTTP/2 handshake: {}", channel.shared.peer, error_chain(&e))))?;
    let peer = channel.shared.peer.clone();
    tokio::spawn(async move {
        let ended = connection.await;
        if watch.peer_went_silent() {
            tracing::warn!(%peer, silent_for = ?watch.silence(), "peer not responding: PING unanswered, connection closed");
        } else if let Err(e) = ended {
            tracing::debug!(%peer, error = %error_chain(&e), "connection ended");
        }
    });
    Ok(sender)
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

/// A socket that notes on its connection's watch whenever a read completes (data, EOF or error).
struct WatchedIo<T> {
    io: T,
    watch: Arc<ConnectionWatch>,
}

impl<T: AsyncRead + Unpin> AsyncRead for WatchedIo<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_read(cx, buf);
        if polled.is_ready() {
            this.watch.heard();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WatchedIo<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[std::io::IoSlice<'_>]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// A reply body whose errors say what happened to the peer (see [`PeerChannel::failure`]).
struct WatchedBody {
    body: hyper::body::Incoming,
    channel: PeerChannel,
    watch: Arc<ConnectionWatch>,
}

impl http_body::Body for WatchedBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<std::result::Result<Frame<Bytes>, tonic::Status>>> {
        let this = self.get_mut();
        Pin::new(&mut this.body)
            .poll_frame(cx)
            .map(|frame| frame.map(|f| f.map_err(|e| tonic::Status::from(this.channel.failure(&this.watch, &e)))))
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_server_names_come_from_the_dialled_host() {
        assert_eq!(server_name("127.0.0.1:2222").unwrap(), ServerName::try_from("127.0.0.1").unwrap());
        assert_eq!(server_name("[::1]:2222").unwrap(), ServerName::try_from("::1").unwrap());
        assert_eq!(server_name("worker-3.example:2222").unwrap(), ServerName::try_from("worker-3.example").unwrap());
        assert!(server_name("bad host:1").is_err());
    }

    #[test]
    fn silence_is_the_time_since_anything_was_read() {
        let watch = ConnectionWatch::new(Liveness::within(Duration::from_secs(5)), true);
        let t0 = watch.opened;
        assert_eq!(watch.silence_at(t0 + Duration::from_secs(2)), Duration::from_secs(2));
        watch.heard_at(t0 + Duration::from_secs(3));
        assert_eq!(watch.silence_at(t0 + Duration::from_secs(3)), Duration::ZERO);
        assert_eq!(watch.silence_at(t0 + Duration::from_millis(4500)), Duration::from_millis(1500));
        // A clock read before the last read (another thread's) is no silence at all.
        assert_eq!(watch.silence_at(t0 + Duration::from_secs(1)), Duration::ZERO);
    }
}
