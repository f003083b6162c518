//! The process's log output, on stderr: human-readable text, coloured only when stderr is a
//! terminal (a log file gets no escape codes), or JSON, one object per line, for log shippers.
//! The level comes from `RUST_LOG` (default `info`). Set up once, before anything logs.

use std::io::IsTerminal;

/// How log lines are written (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line per event; coloured on a terminal.
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `fields` (with `message`), `spans`.
    Json,
}

/// Installs the global subscriber writing to stderr.
pub fn init(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder.json().with_ansi(false).with_current_span(false).init(),
    }
}
