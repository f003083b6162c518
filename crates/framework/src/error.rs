//! The one error type of ferroflow: a TensorFlow error code plus a message, mapped 1:1 to gRPC status
//! codes (TF's codes are gRPC's). Plain data: `Clone + Send + Sync`, no shared state.

use std::fmt;

/// TensorFlow's canonical error codes (numerically identical to gRPC status codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum Code {
    Ok = 0,
    Cancelled = 1,
    Unknown = 2,
    InvalidArgument = 3,
    DeadlineExceeded = 4,
    NotFound = 5,
    AlreadyExists = 6,
    PermissionDenied = 7,
    ResourceExhausted = 8,
    FailedPrecondition = 9,
    Aborted = 10,
    OutOfRange = 11,
    Unimplemented = 12,
    Internal = 13,
    Unavailable = 14,
    DataLoss = 15,
    Unauthenticated = 16,
}

impl Code {
    /// The code for a wire number; unknown numbers become `Unknown`.
    pub fn from_i32(n: i32) -> Code {
        use Code::*;
        match n {
            0 => Ok,
            1 => Cancelled,
            3 => InvalidArgument,
            4 => DeadlineExceeded,
            5 => NotFound,
            6 => AlreadyExists,
            7 => PermissionDenied,
            8 => ResourceExhausted,
            9 => FailedPrecondition,
            10 => Aborted,
            11 => OutOfRange,
            12 => Unimplemented,
            13 => Internal,
            14 => Unavailable,
            15 => DataLoss,
            16 => Unauthenticated,
            _ => Unknown,
        }
    }

    /// TF's spelling, as in `error_codes.proto`.
    pub fn name(self) -> &'static str {
        use Code::*;
        match self {
            Ok => "OK",
            Cancelled => "CANCELLED",
            Unknown => "UNKNOWN",
            InvalidArgument => "INVALID_ARGUMENT",
            DeadlineExceeded => "DEADLINE_EXCEEDED",
            NotFound => "NOT_FOUND",
            AlreadyExists => "ALREADY_EXISTS",
            PermissionDenied => "PERMISSION_DENIED",
            ResourceExhausted => "RESOURCE_EXHAUSTED",
            FailedPrecondition => "FAILED_PRECONDITION",
            Aborted => "ABORTED",
            OutOfRange => "OUT_OF_RANGE",
            Unimplemented => "UNIMPLEMENTED",
            Internal => "INTERNAL",
            Unavailable => "UNAVAILABLE",
            DataLoss => "DATA_LOSS",
            Unauthenticated => "UNAUTHENTICATED",
        }
    }
}

/// A failed operation: TF's error code and a human-readable message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Error {
    pub code: Code,
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.name(), self.message)
    }
}

/// Result with ferroflow's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

macro_rules! constructors {
    ($($fn_name:ident => $code:ident),* $(,)?) => {
        $(
            #[doc = concat!("An error with code `", stringify!($code), "`.")]
            pub fn $fn_name(message: impl Into<String>) -> Error {
                Error::new(Code::$code, message)
            }
        )*
    };
}

impl Error {
    pub fn new(code: Code, message: impl Into<String>) -> Error {
        Error { code, message: message.into() }
    }

    constructors! {
        cancelled => Cancelled,
        unknown => Unknown,
        invalid_argument => InvalidArgument,
        deadline_exceeded => DeadlineExceeded,
        not_found => NotFound,
        already_exists => AlreadyExists,
        failed_precondition => FailedPrecondition,
        resource_exhausted => ResourceExhausted,
        aborted => Aborted,
        out_of_range => OutOfRange,
        unimplemented => Unimplemented,
        internal => Internal,
        unavailable => Unavailable,
        data_loss => DataLoss,
    }

    /// Appends TF's node context (`\n\t [[{{node NAME}}]]`) unless the message already names a node.
    pub fn with_node(mut self, node: &str) -> Error {
        if !self.message.contains("[[{{node ") {
            self.message.push_str(&format!("\n\t [[{{{{node {node}}}}}]]"));
        }
        self
    }

    /// Prefixes the message with context, keeping the code.
    pub fn context(mut self, prefix: impl fmt::Display) -> Error {
        self.message = format!("{prefix}{}", self.message);
        self
    }
}

impl From<Error> for tonic::Status {
    fn from(e: Error) -> tonic::Status {
        tonic::Status::new(tonic::Code::from_i32(e.code as i32), e.message)
    }
}

impl From<tonic::Status> for Error {
    fn from(s: tonic::Status) -> Error {
        Error::new(Code::from_i32(s.code() as i32), s.message().to_string())
    }
}

/// Returns early with an `InvalidArgument` error built like `format!`.
#[macro_export]
macro_rules! invalid_arg {
    ($($t:tt)*) => { return Err($crate::Error::invalid_argument(format!($($t)*))) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_grpc_status() {
        for n in 0..=16 {
            let code = Code::from_i32(n);
            let status: tonic::Status = Error::new(code, "m").into();
            assert_eq!(status.code() as i32, n);
            assert_eq!(Error::from(status).code, code);
        }
    }

    #[test]
    fn node_context_is_added_once() {
        let e = Error::invalid_argument("bad").with_node("m").with_node("n");
        assert_eq!(e.message, "bad\n\t [[{{node m}}]]");
    }
}
