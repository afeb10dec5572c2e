//! The server's settings, from one typed place: defaults ← `FUTBR_*` environment ← flags.
//!
//! clap layers the three sources for every field, so `futbr serve --help` documents each
//! setting with its variable and default, and nothing else in the crate reads the environment.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, ValueEnum};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum LogFormat {
    /// Human-readable lines (coloured only on a terminal).
    #[default]
    Text,
    /// One JSON object per line (for log collectors).
    Json,
}

/// Settings of `futbr serve`.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address to listen on. Loopback by default; when `PORT` is set (containers, App Runner)
    /// and no address is given, 0.0.0.0:$PORT.
    #[arg(long, env = "FUTBR_ADDR")]
    pub addr: Option<SocketAddr>,
    /// The port a container platform assigns (App Runner sets it).
    #[arg(long, env = "PORT", hide = true)]
    pub port: Option<u16>,
    /// Do not watch raw/ or run the pipeline in this process (the cloud runs the jobs
    /// elsewhere); models promoted by others are still picked up.
    #[arg(long, env = "FUTBR_NO_WATCH")]
    pub no_watch: bool,
    /// Seconds between checks of the champion pointer for a new model.
    #[arg(long, env = "FUTBR_RELOAD_INTERVAL", default_value_t = 1.0)]
    pub reload_interval: f64,
    /// Bearer token of the admin routes; without it the admin routes do not exist.
    #[arg(long, env = "FUTBR_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Largest request body accepted, in bytes (admin CSV uploads included).
    #[arg(long, env = "FUTBR_BODY_LIMIT", default_value_t = 32 * 1024 * 1024)]
    pub body_limit: usize,
    /// Seconds a request may take before it is answered 503.
    #[arg(long, env = "FUTBR_REQUEST_TIMEOUT", default_value_t = 30.0)]
    pub request_timeout: f64,
    /// Log line format.
    #[arg(long, env = "FUTBR_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// Fixtures one `POST /v1/predict` may ask about.
pub const MAX_BATCH: usize = 1000;

impl Settings {
    /// Settings for tests: loopback, an OS-chosen port, no watcher.
    pub fn for_tests() -> Settings {
        Settings {
            addr: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            port: None,
            no_watch: true,
            reload_interval: 0.2,
            admin_token: None,
            body_limit: 32 * 1024 * 1024,
            request_timeout: 30.0,
            log_format: LogFormat::Text,
        }
    }

    /// The address to bind: `--addr`, else `0.0.0.0:$PORT`, else `127.0.0.1:8080`.
    pub fn bind_addr(&self) -> SocketAddr {
        match (self.addr, self.port) {
            (Some(addr), _) => addr,
            (None, Some(port)) => SocketAddr::from(([0, 0, 0, 0], port)),
            (None, None) => SocketAddr::from(([127, 0, 0, 1], 8080)),
        }
    }

    pub fn reload_every(&self) -> Duration {
        Duration::from_secs_f64(self.reload_interval.clamp(0.05, 3600.0))
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs_f64(self.request_timeout.clamp(0.1, 3600.0))
    }

    /// The admin token, if admin routes are on (an empty token counts as none).
    pub fn admin_token(&self) -> Option<&str> {
        self.admin_token.as_deref().filter(|t| !t.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_env_binds_all_interfaces_only_without_an_address() {
        let mut s = Settings::for_tests();
        s.addr = None;
        assert_eq!(s.bind_addr().to_string(), "127.0.0.1:8080");
        s.port = Some(9000);
        assert_eq!(s.bind_addr().to_string(), "0.0.0.0:9000");
        s.addr = Some("127.0.0.1:7000".parse().unwrap());
        assert_eq!(s.bind_addr().to_string(), "127.0.0.1:7000");
    }
}
