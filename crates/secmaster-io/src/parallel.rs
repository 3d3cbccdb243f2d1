//! Ordered work on rayon's threads: items made one after another on the calling thread,
//! each worked on by the pool, the results taken in order on the calling thread, with a
//! bounded number under way.
//!
//! This is the shape of io's two pipelines, fact CSV blocks read then parsed and row groups
//! gathered then encoded then appended, without channels between threads: a thread that
//! blocks on a channel inside a rayon task can deadlock a pool of one thread, or one busy
//! with nested work. Here nothing waits on anything but the calling thread, and it waits
//! only for a task to finish:
//!
//! - a task never waits (it runs `work` on its item and fills its slot);
//! - on a thread of the pool, the waiting caller first runs pending work itself
//!   ([`rayon::yield_now`]), its own tasks included, and blocks only once there is none
//!   left anywhere in the pool, when each of its unfinished tasks is running on another
//!   thread and will finish;
//! - off the pool, the caller blocks while the pool's threads run the tasks.
//!
//! A panic in `work` is caught in its task and raised again on the calling thread when
//! its result is taken.

use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

/// Runs `work` on rayon's threads for each item `next` makes (on the calling thread, in
/// order, until it gives `None`), at most `depth` items under way at a time, and hands the
/// results to `done` on the calling thread in the items' order. Stops early, and returns
/// its value, when `done` breaks; items under way then finish and are dropped.
pub(crate) fn ordered<I, O, B>(
    depth: usize,
    mut next: impl FnMut() -> Option<I>,
    work: impl Fn(I) -> O + Sync,
    mut done: impl FnMut(O) -> ControlFlow<B>,
) -> Option<B>
where
    I: Send,
    O: Send,
{
    let depth = depth.max(1);
    let work = &work;
    rayon::in_place_scope(|scope| {
        let mut under_way: VecDeque<Arc<Slot<O>>> = VecDeque::with_capacity(depth);
        let mut more = true;
        loop {
            while more && under_way.len() < depth {
                let Some(item) = next() else {
                    more = false;
                    break;
                };
                let slot = Arc::new(Slot::default());
                let filled = Arc::clone(&slot);
                scope.spawn(move |_| filled.fill(catch_unwind(AssertUnwindSafe(|| work(item)))));
                under_way.push_back(slot);
            }
            let slot = under_way.pop_front()?;
            if let ControlFlow::Break(b) = done(slot.wait()) {
                return Some(b);
            }
        }
    })
}

/// Where a task leaves its result.
struct Slot<O> {
    result: Mutex<Option<std::thread::Result<O>>>,
    ready: Condvar,
}

impl<O> Default for Slot<O> {
    fn default() -> Slot<O> {
        Slot {
            result: Mutex::new(None),
            ready: Condvar::new(),
        }
    }
}

impl<O> Slot<O> {
    fn fill(&self, result: std::thread::Result<O>) {
        *self.result.lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
        self.ready.notify_all();
    }

    /// The result, once the task has left it (see the [module docs](self)).
    fn wait(&self) -> O {
        loop {
            let taken = self
                .result
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            if let Some(result) = taken {
                return result.unwrap_or_else(|panic| resume_unwind(panic));
            }
            match rayon::yield_now() {
                Some(rayon::Yield::Executed) => {}
                // Nothing left to run here: the task is running on another thread.
                Some(rayon::Yield::Idle) | None => {
                    let result = self.result.lock().unwrap_or_else(PoisonError::into_inner);
                    drop(
                        self.ready
                            .wait_while(result, |r| r.is_none())
                            .unwrap_or_else(PoisonError::into_inner),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Squares of 0..n through `ordered`, as `done` saw them.
    fn squares(n: u64, depth: usize) -> Vec<u64> {
        let mut items = 0..n;
        let mut out = Vec::new();
        let stopped: Option<()> = ordered(
            depth,
            || items.next(),
            |x| {
                // Uneven work, so that later items often finish first.
                std::thread::sleep(std::time::Duration::from_micros((x * 7919) % 300));
                x * x
            },
            |y| {
                out.push(y);
                ControlFlow::Continue(())
            },
        );
        assert!(stopped.is_none());
        out
    }

    #[test]
    fn results_come_in_order_on_any_pool() {
        let expected: Vec<u64> = (0..200).map(|x| x * x).collect();
        for depth in [0, 1, 2, 3, 16] {
            assert_eq!(squares(200, depth), expected, "depth {depth}");
        }
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            // On the pool, and nested in other work there: no thread waits for one that
            // cannot run.
            assert_eq!(pool.install(|| squares(100, 4)), expected[..100]);
            let (a, b) = pool.install(|| rayon::join(|| squares(50, 3), || squares(60, 2)));
            assert_eq!((&a[..], &b[..]), (&expected[..50], &expected[..60]));
            let nested: Vec<Vec<u64>> = pool.install(|| {
                use rayon::prelude::*;
                (0..4u64)
                    .into_par_iter()
                    .map(|k| squares(20 + k, 2))
                    .collect()
            });
            for (k, got) in nested.iter().enumerate() {
                assert_eq!(got[..], expected[..20 + k]);
            }
        }
    }

    #[test]
    fn done_stops_early_and_at_most_depth_are_under_way() {
        let made = std::sync::atomic::AtomicUsize::new(0);
        let mut i = 0;
        let stopped = ordered(
            3,
            || {
                made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                i += 1;
                Some(i)
            },
            |x| x,
            |x| match x {
                10 => ControlFlow::Break("ten"),
                _ => ControlFlow::Continue(()),
            },
        );
        assert_eq!(stopped, Some("ten"));
        // Items 1 to 10 taken, and no more than 3 ahead of the last one taken.
        assert!(made.into_inner() <= 12);
    }

    #[test]
    fn a_panic_in_work_reaches_the_caller() {
        let mut items = 0..10;
        let caught = catch_unwind(AssertUnwindSafe(|| {
            ordered(
                2,
                || items.next(),
                |x| if x == 5 { panic!("five") } else { x },
                |_| ControlFlow::<()>::Continue(()),
            )
        }));
        let panic = caught.unwrap_err();
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"five"));
    }
}
