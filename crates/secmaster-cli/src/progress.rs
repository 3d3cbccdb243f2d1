//! A progress indicator on stderr, shown only when stderr is a terminal and the work has
//! already taken a second, so quick runs and pipes stay quiet.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::plan::Env;

/// How long work runs before its progress shows.
const DELAY: Duration = Duration::from_secs(1);

/// A spinner or a counting bar; a no-op when stderr is not a terminal.
#[derive(Debug)]
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A spinner with a message, for work of unknown size.
    pub(crate) fn spinner(env: &Env, message: String) -> Progress {
        Progress::start(env, None, message)
    }

    /// A bar counting to `total`.
    pub(crate) fn counter(env: &Env, total: u64, message: String) -> Progress {
        Progress::start(env, Some(total), message)
    }

    fn start(env: &Env, total: Option<u64>, message: String) -> Progress {
        if !env.stderr_is_terminal {
            return Progress { bar: None };
        }
        let bar = match total {
            Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::hidden())
                .with_style(
                    ProgressStyle::with_template(
                        "{msg} [{bar:30}] {human_pos}/{human_len} ({elapsed}, {eta} left)",
                    )
                    .expect("the template is valid")
                    .progress_chars("=> "),
                ),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()).with_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .expect("the template is valid"),
            ),
        };
        bar.set_message(message);
        let shown = bar.clone();
        std::thread::spawn(move || {
            std::thread::sleep(DELAY);
            if !shown.is_finished() {
                shown.set_draw_target(ProgressDrawTarget::stderr());
                shown.enable_steady_tick(Duration::from_millis(120));
            }
        });
        Progress { bar: Some(bar) }
    }

    /// Says what is being done now.
    pub(crate) fn set_message(&self, message: String) {
        if let Some(bar) = &self.bar {
            bar.set_message(message);
        }
    }

    /// Counts `n` more units done.
    pub(crate) fn inc(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
