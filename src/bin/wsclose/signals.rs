//! SIGINT (Ctrl-C), SIGTERM and SIGHUP for the commands that write files or follow a
//! capture: one handler (ctrlc's, on a thread of its own, so it may lock and remove
//! files), installed the first time either needs it.
//!
//! In: the temporary files a run is writing ([`Temps::register`], from `output`), and the
//! stop flag of `analyze --follow` ([`stop_on_signal`]). Out: a signal that follows sets
//! that flag the first time (the report of what was read follows); any other signal
//! removes every temporary file still registered and ends the process (exit 130), so that
//! an interrupted run leaves its targets as they were and nothing beside them. The
//! registry's lock is held from a temporary file's creation to its registration and over
//! its rename into place: a signal never leaves one unregistered, nor removes one that has
//! become its target.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Once, OnceLock};

/// The temporary files being written, by path.
static TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// `analyze --follow`'s stop flag, once it follows.
static STOP: OnceLock<Arc<AtomicBool>> = OnceLock::new();

static INSTALLED: Once = Once::new();

/// The registry, locked (a poisoned lock still holds the right paths).
fn temps() -> MutexGuard<'static, Vec<PathBuf>> {
    TEMPS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Installs the handler, once.
fn install() {
    INSTALLED.call_once(|| {
        // Refused only when a handler is already set (none is, elsewhere in `analyze`,
        // `annotate` and `extract`).
        let _ = ctrlc::set_handler(on_signal);
    });
}

/// A signal: the first stops a following, if one is under way; otherwise the temporary
/// files go and the process ends (the lock is kept: no rename comes after).
fn on_signal() {
    if let Some(stop) = STOP.get() {
        if !stop.swap(true, Ordering::SeqCst) {
            return;
        }
    }
    let temps = temps();
    for p in temps.iter() {
        let _ = std::fs::remove_file(p);
    }
    std::process::exit(130);
}

/// `analyze --follow`: the first signal sets `stop`, a second ends the process (130).
pub(crate) fn stop_on_signal(stop: &Arc<AtomicBool>) {
    let _ = STOP.set(Arc::clone(stop));
    install();
}

/// The registry held while a temporary file is made, registered or renamed into place.
pub(crate) struct Temps(MutexGuard<'static, Vec<PathBuf>>);

impl Temps {
    /// Locks the registry (installing the handler first).
    pub(crate) fn lock() -> Temps {
        install();
        Temps(temps())
    }

    /// Registers `path`, removed on a signal until [`Registered`] is dropped.
    pub(crate) fn register(&mut self, path: &Path) -> Registered {
        self.0.push(path.to_path_buf());
        Registered(path.to_path_buf())
    }

    /// Forgets `reg` (its file was renamed into place or removed) under this lock.
    pub(crate) fn forget(&mut self, reg: Registered) {
        forget(&mut self.0, &reg.0);
        std::mem::forget(reg);
    }
}

/// A registered temporary file: dropped (a run that failed), the file is removed and then
/// forgotten, under the lock. Never dropped while this thread holds [`Temps`].
pub(crate) struct Registered(PathBuf);

impl Drop for Registered {
    fn drop(&mut self) {
        let mut temps = temps();
        let _ = std::fs::remove_file(&self.0);
        forget(&mut temps, &self.0);
    }
}

fn forget(temps: &mut Vec<PathBuf>, path: &Path) {
    if let Some(i) = temps.iter().position(|p| p == path) {
        temps.swap_remove(i);
    }
}
