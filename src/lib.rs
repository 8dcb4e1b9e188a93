//! `hostinfo`: tells which replica answered.

pub mod cli;
pub mod config;
pub mod healthcheck;
pub mod host;
pub mod limits;
pub mod metrics;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;
