//! Transport settings shared by ferroflow's gRPC clients and servers: message limits for 2 GiB
//! tensors, HTTP/2 windows and frames sized for bulk tensor transfer on fast links, no Nagle delay,
//! and how a client watches that a peer is alive while it waits on it ([`Liveness`]).
//!
//! Hung peers: a client sends HTTP/2 PINGs on a connection while calls on it are pending and
//! nothing else arrives; a peer that leaves a PING unanswered is declared not responding and every
//! call pending on it fails with UNAVAILABLE. A long call to a live peer is never failed: its
//! PINGs are answered. But gRPC C++ servers (stock TensorFlow tasks) police PINGs: with their
//! defaults (`GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS` of 5 minutes, 2 strikes) a
//! fourth PING within 5 minutes in which the server sent nothing closes the connection with
//! GOAWAY `too_many_pings`, failing the calls on it. So a client pings often only peers that say
//! they accept it: ferroflow servers mark every reply with [`PINGS_ACCEPTED_HEADER`]; until a
//! peer has, its connections ping at the rate gRPC's defaults allow ([`Liveness::GRPC_DEFAULT`]).

use ferroflow_framework::{Code, Error};
use std::time::Duration;
use tonic::transport::Server;

/// Largest message sent or accepted (tensors of 2 GiB plus their envelope).
pub const MAX_MESSAGE_SIZE: usize = ferroflow_proto::MAX_MESSAGE_SIZE;

/// HTTP/2 flow-control windows: large enough that a transfer is never stalled waiting for updates.
pub(crate) const STREAM_WINDOW: u32 = 64 << 20;
pub(crate) const CONNECTION_WINDOW: u32 = 128 << 20;
/// The largest HTTP/2 frame a peer may send us. Large frames mean fewer frame headers and wakeups
/// per tensor; but a frame is handed on only once complete, so with 16 MiB frames the receiver
/// alternates between reading the socket and copying out the frame. 4 MiB measured best for
/// 256 MiB transfers on loopback (about 3 GB/s, against 2.2 GB/s with 16 MiB frames).
pub(crate) const MAX_FRAME: u32 = 4 << 20;

/// Server side: HTTP/2 pings to clients every 30 s, so connections of vanished clients are closed.
pub(crate) const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(30);

/// How long a peer may leave a pending call without a sign of life (`--peer-timeout`).
pub const DEFAULT_PEER_TIMEOUT: Duration = Duration::from_secs(5);

/// The response header by which a ferroflow server says it answers PINGs at any rate.
pub const PINGS_ACCEPTED_HEADER: &str = "ferroflow-pings";
pub(crate) const PINGS_ACCEPTED_VALUE: &str = "accepted";

/// When a client pings a peer it waits on, and how long it gives it to answer. A PING goes out
/// after `ping_after` with nothing received on the connection (only while calls are pending);
/// a connection whose PING is not answered within `answer_within` is closed, failing its calls.
/// So a hung peer is found at most `ping_after + answer_within` after it last sent anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Liveness {
    pub ping_after: Duration,
    pub answer_within: Duration,
}

impl Liveness {
    /// For peers that accept PINGs at any rate: a hung peer is found within `peer_timeout`
    /// (4/5 of it in the worst case: a PING after 1/5 of silence, 3/5 to answer it), which
    /// leaves the rest for the failure to reach the client.
    pub fn within(peer_timeout: Duration) -> Liveness {
        Liveness { ping_after: peer_timeout / 5, answer_within: peer_timeout * 3 / 5 }
    }

    /// For peers that may police PINGs as gRPC C++ servers do by default: one PING per 5 minutes
    /// (and a few seconds, against clock differences) of silence, which never earns a strike.
    pub const GRPC_DEFAULT: Liveness = Liveness { ping_after: Duration::from_secs(305), answer_within: Duration::from_secs(20) };
}

/// Marks a server's reply as coming from a ferroflow task, which accepts PINGs at any rate.
pub(crate) fn mark_pings_accepted<B>(response: &mut http::Response<B>) {
    response.headers_mut().insert(PINGS_ACCEPTED_HEADER, http::HeaderValue::from_static(PINGS_ACCEPTED_VALUE));
}

/// Whether a reply says its server accepts PINGs at any rate.
pub(crate) fn pings_accepted(headers: &http::HeaderMap) -> bool {
    headers.get(PINGS_ACCEPTED_HEADER).is_some_and(|v| v == PINGS_ACCEPTED_VALUE)
}

/// A server builder with the same transport settings, plaintext.
pub fn server_builder() -> Server {
    Server::builder()
        .tcp_nodelay(true)
        .initial_stream_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .max_frame_size(MAX_FRAME)
        .http2_keepalive_interval(Some(KEEP_ALIVE_INTERVAL))
}

/// A server builder with the same transport settings, serving TLS with client certificates
/// required (see [`crate::tls`]); a client has `handshake_timeout` to complete its handshake.
pub fn tls_server_builder(identity: &crate::tls::TlsIdentity, handshake_timeout: Duration) -> ferroflow_framework::Result<Server> {
    server_builder()
        .tls_config(identity.server_config(handshake_timeout))
        .map_err(|e| Error::invalid_argument(format!("TLS server setup: {e}")))
}

/// A gRPC status as ferroflow's error; transport failures (peer gone) become UNAVAILABLE.
pub fn status_to_error(status: tonic::Status) -> Error {
    let mut e = Error::from(status);
    if e.code == Code::Unknown && e.message.contains("transport error") {
        e.code = Code::Unavailable;
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hung_peer_is_found_within_the_peer_timeout_and_grpc_servers_are_never_struck() {
        let l = Liveness::within(Duration::from_secs(5));
        assert!(l.ping_after + l.answer_within < Duration::from_secs(5));
        assert!(l.answer_within >= Duration::from_secs(2), "a loaded peer gets seconds to answer");
        assert!(Liveness::GRPC_DEFAULT.ping_after > Duration::from_secs(300));
        let mut response = http::Response::new(());
        assert!(!pings_accepted(response.headers()));
        mark_pings_accepted(&mut response);
        assert!(pings_accepted(response.headers()));
    }
}
