//! The demo server's public plain types: its counters and its errors.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::faults::FaultCounts;

/// Counters of a running server, as served by `GET /stats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ServerStats {
    /// TCP accepts since start.
    pub accepted_connections: u64,
    /// Connections currently open.
    pub open_connections: u64,
    /// HTTP requests received (all paths).
    pub requests: u64,
    /// `/events` requests currently waiting for an event (not counting blackholed
    /// ones). Also [`super::DemoServer::held_requests`], which reads only this.
    pub held_requests: u64,
    /// Events published by this process (generator, `POST /publish` and
    /// [`super::DemoServer::publish`]); events restored from the state file are not
    /// counted.
    pub published: u64,
    /// Seq of the last published event (0 before the first), restored ones included.
    pub last_seq: u64,
    /// Faults injected since start, all kinds.
    pub faults_injected: u64,
    /// Faults injected since start, per kind.
    pub faults: FaultCounts,
}

/// Why the demo server could not start (or stopped).
#[derive(Debug, thiserror::Error)]
pub enum DemoServerError {
    /// The address could not be bound (in use, not local, no permission).
    #[error("cannot listen on {addr}: {}", io_reason(source))]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The system's answer.
        source: std::io::Error,
    },
    /// The tokio runtime could not be built.
    #[error("cannot start the demo server runtime: {0}")]
    Runtime(std::io::Error),
    /// The server thread could not be spawned.
    #[error("cannot start the demo server thread: {0}")]
    Spawn(std::io::Error),
    /// A configuration value is out of range.
    #[error("invalid demo server configuration: {0}")]
    Config(String),
    /// The state file could not be read, repaired or opened for appending.
    #[error("cannot use the demo server state file {}: {}", path.display(), io_reason(source))]
    StateFile {
        /// The state file.
        path: PathBuf,
        /// The system's answer.
        source: std::io::Error,
    },
    /// TLS could not be set up.
    #[error("cannot set up TLS for the demo server: {0}")]
    Tls(String),
    /// The server thread ended although nobody stopped it (it panicked).
    #[error("the demo server stopped unexpectedly")]
    Stopped,
}

/// Short lower-case reason for the common failures, the OS text otherwise.
fn io_reason(err: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match err.kind() {
        ErrorKind::AddrInUse => "address already in use".to_owned(),
        ErrorKind::AddrNotAvailable => "address not available on this machine".to_owned(),
        ErrorKind::PermissionDenied => "permission denied".to_owned(),
        ErrorKind::NotFound => "no such file or directory".to_owned(),
        _ => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_error_message_is_plain() {
        let err = DemoServerError::Bind {
            addr: "127.0.0.1:8787".parse().unwrap(),
            source: std::io::Error::from(std::io::ErrorKind::AddrInUse),
        };
        assert_eq!(
            err.to_string(),
            "cannot listen on 127.0.0.1:8787: address already in use"
        );
    }

    #[test]
    fn state_file_error_names_the_file() {
        let err = DemoServerError::StateFile {
            path: "/nope/events.jsonl".into(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        assert_eq!(
            err.to_string(),
            "cannot use the demo server state file /nope/events.jsonl: no such file or directory"
        );
    }

    #[test]
    fn older_stats_json_still_parses() {
        let stats: ServerStats = serde_json::from_str(r#"{"requests": 3}"#).unwrap();
        assert_eq!(stats.requests, 3);
        assert_eq!(stats.faults_injected, 0);
    }
}
