//! `secmaster serve`: the HTTP server of secmaster-server over a store, until killed.

use std::io::Write;

use anyhow::{Context, Result};
use secmaster_server::Config;

use crate::error::Usage;
use crate::plan::Serve;

pub(crate) fn run(plan: &Serve, out: &mut dyn Write) -> Result<()> {
    if !secmaster_store::Store::is_store(&plan.store) {
        return Err(Usage::new(format!(
            "`{}` is not a store (it has no manifest.json): create one with `secmaster init`",
            plan.store.display()
        ))
        .into());
    }
    let mut config = Config::new(&plan.store, plan.addr);
    if let Some(path) = &plan.token_file {
        config = config.with_token_file(path)?;
    }
    let writes = if plan.token_file.is_some() {
        "POST /api/v1/batches with the bearer token"
    } else {
        "writes disabled"
    };
    let server = secmaster_server::start(config)
        .with_context(|| format!("cannot serve `{}`", plan.store.display()))?;
    writeln!(
        out,
        "serving {} (batch {}) on http://{} ({writes})",
        plan.store.display(),
        server.batch(),
        server.addr()
    )?;
    out.flush()?;
    server.wait()?;
    Ok(())
}
