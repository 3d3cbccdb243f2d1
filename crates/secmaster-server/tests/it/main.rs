//! The server's tests, each against a real server on an ephemeral loopback port: the API
//! (`api`), the load test with ingests committing meanwhile (`load`), and the page in a
//! headless Chromium (`browser`).

mod api;
mod browser;
mod common;
mod load;
