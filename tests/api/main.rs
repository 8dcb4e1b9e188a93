//! Black-box tests: a real server on 127.0.0.1:0, or the real binary.

mod bad_input;
mod binary;
mod errors;
mod helpers;
mod info;
mod keep_alive;
mod logging;
mod probes;
mod shutdown;
mod tools;
mod wait;
