//! Cooperative cancellation of long work (a fit, a large prediction).
//!
//! A caller that wants to stop work it started from another thread (the Python binding
//! on Ctrl-C, a server on a client disconnect) runs it under a [`CancelToken`] with
//! [`with_token`] and later calls [`CancelToken::cancel`]. The long loops of ferrops
//! check the token of the thread that started them: between row chunks of a
//! transform or prediction, between fitted stages, at every loss evaluation of the
//! logistic solver, while growing trees and between a forest's trees, and between the
//! folds and candidates of a cross-validation or search (which hand the token to their
//! worker threads; a search returns the candidates that finished instead of an error).
//! The call then returns [`Error::Cancelled`] promptly and leaves nothing half-written
//! (artifact writes are atomic renames). linfa's solvers (linear, elastic net,
//! `LogisticSolver::Linfa` and the other linfa-backed trainers) have no check inside:
//! cancellation takes effect when they return.
//!
//! ```
//! use ferrops::cancel::{self, CancelToken};
//! let token = CancelToken::new();
//! token.cancel();
//! let result = cancel::with_token(&token, || cancel::check());
//! assert!(matches!(result, Err(ferrops::Error::Cancelled)));
//! assert!(cancel::check().is_ok()); // no token outside `with_token`
//! ```

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::{Error, Result};

/// A shared flag: once cancelled, stays cancelled.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Ask the work running under this token to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether [`cancel`](CancelToken::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// `Err(Error::Cancelled)` once cancelled.
    ///
    /// # Errors
    /// [`Error::Cancelled`].
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }
}

thread_local! {
    static CURRENT: RefCell<Option<CancelToken>> = const { RefCell::new(None) };
}

/// Run `f` on this thread with `token` as its cancellation token (restoring the
/// previous one afterwards, also if `f` panics).
pub fn with_token<T>(token: &CancelToken, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<CancelToken>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            CURRENT.with(|c| *c.borrow_mut() = previous);
        }
    }
    let previous = CURRENT.with(|c| c.borrow_mut().replace(token.clone()));
    let _restore = Restore(previous);
    f()
}

/// This thread's token, if it runs under [`with_token`]. Work that fans out to other
/// threads (rayon) takes the token first and checks it there.
pub fn current() -> Option<CancelToken> {
    CURRENT.with(|c| c.borrow().clone())
}

/// `Err(Error::Cancelled)` if this thread's token is cancelled.
///
/// # Errors
/// [`Error::Cancelled`].
pub fn check() -> Result<()> {
    match current() {
        Some(token) => token.check(),
        None => Ok(()),
    }
}
