//! The connections of a report rendered a few dozen at a time on several threads, and
//! written out in their order ([`Report::render_chunks`]: JSON, Markdown, HTML).
//!
//! In: a report (its connections in memory or in a store) and a renderer of one part. Out:
//! the parts' renderings, written in order to one output. Each of the rendering threads
//! takes the next part, reads its connections back from the store itself (positioned
//! reads of the temporary file) and renders them; the calling thread writes. At most a
//! few parts a thread are in flight, so memory does not grow with the report. A redacted
//! report read back from a store gives its pseudonyms in id order, so its connections are
//! read back in turn on the calling thread and rendered by one more.

use crate::report::{ConnectionReport, Report, Store, RENDER_CHUNK};
use parking_lot::{Condvar, Mutex};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::mpsc;

/// Parts in flight per rendering thread (taken, rendered or waiting for their turn to be
/// written): enough that a thread rarely waits for the writer.
const AHEAD_PER_THREAD: usize = 2;

/// Rendering threads at least, whatever `--threads` says: the report phase used two
/// threads before it used more (one reading back, one rendering), and one thread alone
/// would be slower than that.
const MIN_RENDERERS: usize = 2;

/// Parts queued for the rendering thread when a redacted report is read back in turn; when
/// the queue is full the calling thread renders the part itself.
const RENDER_QUEUED: usize = 2;

/// A part of the connections to render: its number, and the connections.
type Job<'a> = (usize, Cow<'a, [ConnectionReport]>);

/// A rendered part, or why it could not be.
type Rendered = (usize, io::Result<Vec<u8>>);

/// Which parts the rendering threads may take: the next one, and the first one they may
/// not take yet (the writer moves it on as it writes).
struct Claim {
    next: usize,
    limit: usize,
    stop: bool,
}

impl Report {
    /// Renders the connections shown a few dozen at a time (32) with
    /// `render(k, part)` for the `k`th part, on the report's rendering threads (the
    /// analysis's thread count, at least two), and writes the rendered parts to `out` in
    /// their order, whatever order they are done in. Returns the number of parts.
    pub fn render_chunks(
        &self,
        render: impl Fn(usize, &[ConnectionReport]) -> io::Result<Vec<u8>> + Sync,
        out: &mut dyn Write,
    ) -> io::Result<usize> {
        match &self.stored {
            Some(_) if self.redacted => self.render_in_turn(&render, out),
            _ => self.render_shared(&render, out),
        }
    }

    /// Connections shown.
    fn shown(&self) -> usize {
        self.stored
            .as_ref()
            .map_or(self.connections.len(), Store::len)
    }

    /// Part `k`'s connections: borrowed when they are in memory, read back from the store
    /// otherwise (only for a report that is not redacted: see [`Report::render_in_turn`]).
    fn part(&self, k: usize) -> io::Result<Cow<'_, [ConnectionReport]>> {
        let from = k.saturating_mul(RENDER_CHUNK);
        let to = from.saturating_add(RENDER_CHUNK).min(self.shown());
        let Some(store) = &self.stored else {
            return Ok(Cow::Borrowed(
                self.connections.get(from..to).unwrap_or_default(),
            ));
        };
        let mut buf = Vec::new();
        let mut names = None;
        // Room for the part made once: growing it would copy whole reports.
        let mut part = Vec::with_capacity(to.saturating_sub(from));
        for i in from..to {
            let c = store.get_onto(i, &mut buf, &mut part)?;
            self.as_shown(c, &mut names);
        }
        Ok(Cow::Owned(part))
    }

    /// [`Report::render_chunks`] with each part read back and rendered by whichever
    /// rendering thread takes it, and written here.
    fn render_shared(
        &self,
        render: &(impl Fn(usize, &[ConnectionReport]) -> io::Result<Vec<u8>> + Sync),
        out: &mut dyn Write,
    ) -> io::Result<usize> {
        let parts = self.shown().div_ceil(RENDER_CHUNK);
        if parts == 0 {
            return Ok(0);
        }
        let threads = self.render_threads.max(MIN_RENDERERS).min(parts);
        let ahead = threads.saturating_mul(AHEAD_PER_THREAD);
        let claim = Mutex::new(Claim {
            next: 0,
            limit: ahead.min(parts),
            stop: false,
        });
        let moved = Condvar::new();
        let (done, results) = mpsc::channel::<Rendered>();
        let work = |done: mpsc::Sender<Rendered>| loop {
            let k = {
                let mut c = claim.lock();
                while c.next >= c.limit && !c.stop {
                    moved.wait(&mut c);
                }
                if c.stop || c.next >= parts {
                    return;
                }
                c.next += 1;
                c.next - 1
            };
            // The part is read back, rendered and freed on this thread (freeing memory of
            // another thread's allocator arena contends for that arena's lock).
            // A panic becomes the part's error: the writer, waiting for this part, would
            // otherwise wait for ever while the other threads wait for it.
            let rendered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.part(k).and_then(|p| render(k, &p))
            }))
            .unwrap_or_else(|_| Err(io::Error::other("a rendering thread failed")));
            if done.send((k, rendered)).is_err() {
                return;
            }
        };
        let stop = || {
            claim.lock().stop = true;
            moved.notify_all();
        };
        std::thread::scope(|s| {
            let spawned: Vec<_> = (0..threads)
                .filter_map(|_| {
                    let done = done.clone();
                    std::thread::Builder::new()
                        .spawn_scoped(s, move || work(done))
                        .ok()
                })
                .collect();
            drop(done);
            let mut order = InOrder::default();
            // Without a rendering thread (none could be made), this thread renders it
            // all, part after part.
            if spawned.is_empty() {
                for k in 0..parts {
                    let rendered = self.part(k).and_then(|p| render(k, &p));
                    order.write((k, rendered), out)?;
                }
                return Ok(parts);
            }
            let written = (|| {
                while order.written < parts {
                    let got = results
                        .recv()
                        .map_err(|_| io::Error::other("a rendering thread failed"))?;
                    order.write(got, out)?;
                    let mut c = claim.lock();
                    c.limit = order.written.saturating_add(ahead).min(parts);
                    drop(c);
                    moved.notify_all();
                }
                Ok(parts)
            })();
            stop();
            drop(results);
            // Joined here rather than by the scope, which waits for the closures only: a
            // thread's exit (its thread-local destructors) could otherwise outlive this
            // call (LeakSanitizer saw it, in the `capture_file` fuzz target).
            for t in spawned {
                let _ = t.join();
            }
            written
        })
    }

    /// [`Report::render_chunks`] for a redacted report read back from its store: this thread
    /// reads the connections back in id order (the pseudonyms are given in that order) and
    /// writes; one more thread renders, and this one too when that one is behind.
    fn render_in_turn(
        &self,
        render: &(impl Fn(usize, &[ConnectionReport]) -> io::Result<Vec<u8>> + Sync),
        out: &mut dyn Write,
    ) -> io::Result<usize> {
        let (jobs, queue) = mpsc::sync_channel::<Job<'_>>(RENDER_QUEUED);
        // A part goes back with its rendering, to be freed here: the reports were read back
        // (allocated) on this thread, and freeing memory of another thread's allocator arena
        // contends for that arena's lock with this thread's next allocations.
        let (done, results) = mpsc::channel::<(Job<'_>, io::Result<Vec<u8>>)>();
        std::thread::scope(|s| {
            // Without the rendering thread (none could be made), this thread renders it all.
            let renderer = std::thread::Builder::new()
                .spawn_scoped(s, move || {
                    for (k, part) in queue {
                        let rendered = render(k, &part);
                        if done.send(((k, part), rendered)).is_err() {
                            break;
                        }
                    }
                })
                .ok();
            let written = move || -> io::Result<usize> {
                let mut order = InOrder::default();
                let mut sent = 0;
                // Read back in id order, pseudonyms given as they come (`for_each_chunk`).
                let read = self.for_each_chunk(RENDER_CHUNK, |part| {
                    match jobs.try_send((sent, part)) {
                        Ok(()) => {}
                        Err(
                            mpsc::TrySendError::Full((k, part))
                            | mpsc::TrySendError::Disconnected((k, part)),
                        ) => order.write((k, render(k, &part)), out)?,
                    }
                    sent += 1;
                    while let Ok(((k, part), rendered)) = results.try_recv() {
                        drop(part);
                        order.write((k, rendered), out)?;
                    }
                    Ok(())
                });
                // The thread ends once the queue is empty, however this ends.
                drop(jobs);
                read?;
                while order.written < sent {
                    let ((k, part), rendered) = results
                        .recv()
                        .map_err(|_| io::Error::other("the rendering thread failed"))?;
                    drop(part);
                    order.write((k, rendered), out)?;
                }
                Ok(sent)
            }();
            // Joined here rather than by the scope (see `render_shared`).
            if let Some(r) = renderer {
                let _ = r.join();
            }
            written
        })
    }
}

/// Rendered parts, written out in their order whatever order they come back in: a part
/// that failed ends the writing when its turn comes, after the parts before it.
#[derive(Default)]
struct InOrder {
    /// Those that came back before the ones ahead of them.
    waiting: BTreeMap<usize, io::Result<Vec<u8>>>,
    written: usize,
}

impl InOrder {
    fn write(&mut self, (k, got): Rendered, out: &mut dyn Write) -> io::Result<()> {
        self.waiting.insert(k, got);
        while let Some(buf) = self.waiting.remove(&self.written) {
            out.write_all(&buf?)?;
            self.written += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
