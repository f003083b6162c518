//! The unary gRPC calls that move tensors (`RecvTensor`, `RunGraph`, `RunStep`, `RunCallable`),
//! served and called below tonic's codec so that tensors are neither copied on encode nor
//! reassembled twice on decode:
//!
//! - [`WithBulkMethods`] wraps a tonic service and answers the methods its [`BulkMethods`] names
//!   itself: the request body is assembled into one aligned buffer, the reply goes out as chunks
//!   that share the tensors' buffers. Every other method goes to the wrapped service unchanged.
//!   Every reply, bulk or not, carries [`transport::PINGS_ACCEPTED_HEADER`]: ferroflow's clients
//!   may then watch this server with frequent PINGs.
//! - [`call_unary`] makes such a call on a [`PeerChannel`].
//!
//! Both speak plain gRPC over HTTP/2 (uncompressed messages, `grpc-status` trailers, the caller's
//! `grpc-timeout` honoured with DEADLINE_EXCEEDED), so the peer may be stock TensorFlow.
//!
//! Concurrency: each call runs as its own future on the server's runtime; the wrapper is a cheap
//! clone of the inner service plus an `Arc`.

use crate::channel::PeerChannel;
use crate::chunked::{EncodedMessage, GrpcBody, ZeroCopyEncode};
use crate::receive::MessageAssembler;
use crate::transport;
use bytes::Bytes;
use ferroflow_framework::{Code, Error, Result};
use futures::future::BoxFuture;
use http_body_util::BodyExt;
use prost::Message;
use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tonic::body::Body;
use tonic::server::NamedService;
use tower_service::Service;

/// The methods of a service that are served without tonic's codec.
#[async_trait::async_trait]
pub trait BulkMethods: Send + Sync + 'static {
    /// The path of the first tensor content in the request of `method` (to align it), or `None`
    /// if this handler does not serve `method`.
    fn request_content_path(&self, method: &str) -> Option<&'static [u32]>;

    /// Decodes `request`, runs the method and encodes its reply.
    async fn call(&self, method: &str, request: Bytes) -> std::result::Result<EncodedMessage, tonic::Status>;
}

/// Decodes a request message, as tonic would (a bad message is INTERNAL there too).
pub fn decode_request<M: Message + Default>(bytes: Bytes) -> std::result::Result<M, tonic::Status> {
    M::decode(bytes).map_err(|e| tonic::Status::internal(format!("failed to decode Protobuf message: {e}")))
}

/// A tonic service with some of its methods answered by a [`BulkMethods`].
#[derive(Clone)]
pub struct WithBulkMethods<S> {
    inner: S,
    bulk: Arc<dyn BulkMethods>,
}

impl<S> WithBulkMethods<S> {
    pub fn new(inner: S, bulk: Arc<dyn BulkMethods>) -> WithBulkMethods<S> {
        WithBulkMethods { inner, bulk }
    }
}

impl<S: NamedService> NamedService for WithBulkMethods<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> Service<http::Request<Body>> for WithBulkMethods<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible> + NamedService + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, std::result::Result<http::Response<Body>, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<std::result::Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let method = request.uri().path().strip_prefix('/').and_then(|p| p.strip_prefix(S::NAME)).and_then(|p| p.strip_prefix('/'));
        if let Some(method) = method
            && let Some(content_path) = self.bulk.request_content_path(method)
        {
            let method = method.to_string();
            let bulk = self.bulk.clone();
            let deadline = grpc_timeout(request.headers());
            return Box::pin(async move {
                let mut response = serve(bulk, method, content_path, deadline, request.into_body()).await;
                transport::mark_pings_accepted(&mut response);
                Ok(response)
            });
        }
        let fut = self.inner.call(request);
        Box::pin(async move {
            let mut response = fut.await?;
            transport::mark_pings_accepted(&mut response);
            Ok(response)
        })
    }
}

/// The caller's deadline from a `grpc-timeout` header (`<digits><H|M|S|m|u|n>`), if any.
fn grpc_timeout(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers.get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// Answers a call with a deadline a little before the caller gives up, so the caller gets
/// DEADLINE_EXCEEDED from us (and the work is cancelled by dropping it) rather than racing its own
/// timer and the transport's (which would say CANCELLED).
fn answer_by(deadline: Duration) -> Duration {
    deadline.saturating_sub((deadline / 50).clamp(Duration::from_micros(100), Duration::from_millis(5)))
}

async fn serve(bulk: Arc<dyn BulkMethods>, method: String, content_path: &'static [u32], deadline: Option<Duration>, body: Body) -> http::Response<Body> {
    let reply = async {
        let message = read_message(body, content_path).await.map_err(tonic::Status::from)?;
        bulk.call(&method, message).await
    };
    let outcome = match deadline {
        Some(deadline) => tokio::time::timeout(answer_by(deadline), reply)
            .await
            .unwrap_or_else(|_| Err(tonic::Status::deadline_exceeded("Deadline Exceeded"))),
        None => reply.await,
    };
    match outcome {
        Ok(encoded) => {
            let mut response = http::Response::new(Body::new(GrpcBody::ok(encoded)));
            response.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/grpc"));
            response
        }
        Err(status) => status.into_http(),
    }
}

/// Reads a request body holding one message.
async fn read_message(mut body: Body, content_path: &'static [u32]) -> Result<Bytes> {
    let mut assembler = MessageAssembler::new(content_path, transport::MAX_MESSAGE_SIZE);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|s| Error::from(s).context("reading the request: "))?;
        if let Ok(data) = frame.into_data() {
            assembler.push(data)?;
        }
    }
    assembler.finish().await
}

/// Calls `path` (`/package.Service/Method`) on `channel` with `request`; the reply's first tensor
/// at `reply_content_path` lands aligned.
pub async fn call_unary<Req, Resp>(channel: &PeerChannel, path: &'static str, request: Req, reply_content_path: &'static [u32]) -> Result<Resp>
where
    Req: ZeroCopyEncode,
    Resp: Message + Default,
{
    let body = GrpcBody::request(request.encode_chunks()?);
    let http_request = http::Request::builder()
        .method(http::Method::POST)
        .uri(path)
        .header(http::header::CONTENT_TYPE, "application/grpc")
        .header(http::header::TE, "trailers")
        .body(Body::new(body))
        .map_err(|e| Error::internal(format!("cannot build a request for {path}: {e}")))?;
    let response = channel.send(http_request).await?;
    let (parts, mut body) = response.into_parts();
    if let Some(status) = tonic::Status::from_header_map(&parts.headers)
        && status.code() != tonic::Code::Ok
    {
        return Err(transport::status_to_error(status));
    }
    if parts.status != http::StatusCode::OK {
        return Err(Error::new(http_status_code(parts.status), format!("HTTP status {} calling {path}", parts.status)));
    }
    let mut assembler = MessageAssembler::new(reply_content_path, transport::MAX_MESSAGE_SIZE);
    let mut trailer_status = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|s| {
            let e = transport::status_to_error(s);
            if e.code == Code::Unknown { Error::new(Code::Unavailable, e.message) } else { e }
        })?;
        match frame.into_data() {
            Ok(data) => assembler.push(data)?,
            Err(frame) => {
                if let Ok(trailers) = frame.into_trailers() {
                    trailer_status = tonic::Status::from_header_map(&trailers);
                }
            }
        }
    }
    match trailer_status {
        Some(status) if status.code() == tonic::Code::Ok => {}
        Some(status) => return Err(transport::status_to_error(status)),
        None => return Err(Error::unavailable(format!("{path}: the reply ended without a grpc-status"))),
    }
    let message = assembler.finish().await?;
    Resp::decode(message).map_err(|e| Error::internal(format!("failed to decode the reply of {path}: {e}")))
}

/// gRPC's mapping of HTTP statuses of non-gRPC replies.
fn http_status_code(status: http::StatusCode) -> Code {
    match status.as_u16() {
        400 => Code::Internal,
        401 => Code::Unauthenticated,
        403 => Code::PermissionDenied,
        404 => Code::Unimplemented,
        429 | 502 | 503 | 504 => Code::Unavailable,
        _ => Code::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_parse_in_every_unit_and_garbage_is_ignored() {
        let parse = |v: &str| {
            let mut h = http::HeaderMap::new();
            h.insert("grpc-timeout", http::HeaderValue::from_str(v).unwrap());
            grpc_timeout(&h)
        };
        assert_eq!(parse("300m"), Some(Duration::from_millis(300)));
        assert_eq!(parse("2S"), Some(Duration::from_secs(2)));
        assert_eq!(parse("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse("5M"), Some(Duration::from_secs(300)));
        assert_eq!(parse("7u"), Some(Duration::from_micros(7)));
        assert_eq!(parse("9n"), Some(Duration::from_nanos(9)));
        assert_eq!(parse("12x"), None);
        assert_eq!(parse("m"), None);
        assert_eq!(grpc_timeout(&http::HeaderMap::new()), None);
        assert!(answer_by(Duration::from_millis(300)) < Duration::from_millis(300));
        assert_eq!(answer_by(Duration::ZERO), Duration::ZERO);
    }
}
