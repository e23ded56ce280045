//! The terminal's keys, read by a thread of their own and handed to the app's loop.
//!
//! While an external editor runs, the editor owns the terminal: the reader then stops reading
//! (it does not read and ignore), so not one keystroke typed into the editor is taken from it,
//! and none can reach the app, where `q` would quit or Ctrl-S would save. It starts again once
//! the editor has exited.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use crossterm::event::{self, Event, KeyEvent, KeyEventKind};
use tokio::sync::mpsc;

/// The longest one wait for input lasts, and so about the longest [`Keys::released`] waits for
/// the reader to stop.
const POLL: Duration = Duration::from_millis(50);

/// Where keys come from: the terminal in the app, a script in tests.
pub trait Source: Send + 'static {
    /// Waits up to `timeout` for an event; `true` when one can be read without waiting.
    fn poll(&mut self, timeout: Duration) -> std::io::Result<bool>;
    fn read(&mut self) -> std::io::Result<Event>;
}

/// The terminal, through crossterm.
pub struct Terminal;

impl Source for Terminal {
    fn poll(&mut self, timeout: Duration) -> std::io::Result<bool> {
        event::poll(timeout)
    }

    fn read(&mut self) -> std::io::Result<Event> {
        event::read()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Reading,
    /// Asked to stop reading; the reader answers by moving to `Paused`.
    PauseAsked,
    /// Not reading, until `Reading` again.
    Paused,
    /// The reader has ended (or must).
    Stopped,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set(&self, state: State) {
        *self.lock() = state;
        self.changed.notify_all();
    }
}

/// The key reader and the keys it has read that the app has not taken yet.
pub struct Keys {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    keys: mpsc::UnboundedReceiver<KeyEvent>,
}

impl Keys {
    /// Starts reading key presses from `source`.
    pub fn spawn(mut source: impl Source) -> Keys {
        let shared = Arc::new(Shared { state: Mutex::new(State::Reading), changed: Condvar::new() });
        let (tx, keys) = mpsc::unbounded_channel();
        let reader = shared.clone();
        let thread = std::thread::Builder::new()
            .name("keys".into())
            .spawn(move || {
                read_keys(&mut source, &reader, &tx);
                reader.set(State::Stopped);
            })
            .ok();
        if thread.is_none() {
            shared.set(State::Stopped);
        }
        Keys { shared, thread, keys }
    }

    /// The next key pressed; `None` once the reader has ended.
    pub async fn next(&mut self) -> Option<KeyEvent> {
        self.keys.recv().await
    }

    /// Runs `f` (the external editor) while nothing reads the terminal, then reads again.
    ///
    /// Returns from waiting only once the reader has stopped: from then until `f` has returned,
    /// the terminal is not read at all. Keys read before that which the app has not taken yet
    /// (typed ahead while the editor was starting) are dropped, not kept for after the editor:
    /// they were meant for the editor, and given to the app they could quit it or save.
    pub fn released<T>(&mut self, f: impl FnOnce() -> T) -> T {
        {
            let mut state = self.shared.lock();
            if *state == State::Reading {
                *state = State::PauseAsked;
                self.shared.changed.notify_all();
            }
            while *state == State::PauseAsked {
                state = self.shared.changed.wait(state).unwrap_or_else(PoisonError::into_inner);
            }
        }
        while self.keys.try_recv().is_ok() {}
        // Reading again however `f` ends (a panic included).
        struct Resume<'a>(&'a Shared);
        impl Drop for Resume<'_> {
            fn drop(&mut self) {
                let mut state = self.0.lock();
                if *state == State::Paused {
                    *state = State::Reading;
                    self.0.changed.notify_all();
                }
            }
        }
        let _resume = Resume(&self.shared);
        f()
    }
}

impl Drop for Keys {
    fn drop(&mut self) {
        self.shared.set(State::Stopped);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The reader's loop: reads while `Reading`, stops at a pause until told to go on.
fn read_keys(source: &mut impl Source, shared: &Shared, tx: &mpsc::UnboundedSender<KeyEvent>) {
    loop {
        {
            let mut state = shared.lock();
            loop {
                match *state {
                    State::Reading => break,
                    State::PauseAsked => {
                        // Events the source had already taken from the terminal and parsed
                        // (several keys can arrive in one read) are dropped with the rest.
                        while source.poll(Duration::ZERO).unwrap_or(false) {
                            if source.read().is_err() {
                                break;
                            }
                        }
                        *state = State::Paused;
                        shared.changed.notify_all();
                    }
                    State::Paused => {
                        state = shared.changed.wait(state).unwrap_or_else(PoisonError::into_inner);
                    }
                    State::Stopped => return,
                }
            }
        }
        match source.poll(POLL) {
            Ok(true) => {}
            Ok(false) if tx.is_closed() => return,
            Ok(false) => continue,
            Err(_) => return,
        }
        match source.read() {
            Ok(Event::Key(key)) if key.kind == KeyEventKind::Press => {
                if tx.send(key).is_err() {
                    return;
                }
            }
            Ok(_) => {}
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use crossterm::event::{KeyCode, KeyModifiers};

    use super::*;

    /// A terminal whose input is `typed`, as a tty's input buffer: what the reader reads is
    /// taken from it; while `owned` (an editor runs), any poll or read is counted as a theft.
    #[derive(Clone, Default)]
    struct Tty {
        typed: Arc<Mutex<VecDeque<Event>>>,
        owned: Arc<AtomicBool>,
        stolen: Arc<AtomicUsize>,
        /// Fail every call (a terminal that went away).
        broken: Arc<AtomicBool>,
    }

    impl Tty {
        fn type_key(&self, key: KeyEvent) {
            self.typed.lock().unwrap().push_back(Event::Key(key));
        }

        fn pending(&self) -> usize {
            self.typed.lock().unwrap().len()
        }

        fn check(&self) -> std::io::Result<()> {
            if self.owned.load(Ordering::SeqCst) {
                self.stolen.fetch_add(1, Ordering::SeqCst);
            }
            if self.broken.load(Ordering::SeqCst) {
                return Err(std::io::Error::other("the terminal is gone"));
            }
            Ok(())
        }
    }

    impl Source for Tty {
        fn poll(&mut self, timeout: Duration) -> std::io::Result<bool> {
            self.check()?;
            if self.pending() > 0 {
                return Ok(true);
            }
            std::thread::sleep(timeout.min(Duration::from_millis(5)));
            Ok(self.pending() > 0)
        }

        fn read(&mut self) -> std::io::Result<Event> {
            self.check()?;
            Ok(self.typed.lock().unwrap().pop_front().unwrap_or(Event::FocusGained))
        }
    }

    fn key(c: char) -> KeyEvent {
        KeyEvent::from(KeyCode::Char(c))
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    async fn next(keys: &mut Keys) -> Option<KeyEvent> {
        tokio::time::timeout(Duration::from_secs(5), keys.next()).await.expect("a key within 5 s")
    }

    fn wait_until(what: &str, done: impl Fn() -> bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !done() {
            assert!(std::time::Instant::now() < deadline, "{what}");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    #[tokio::test]
    async fn nothing_is_read_while_the_editor_owns_the_terminal() {
        let tty = Tty::default();
        let mut keys = Keys::spawn(tty.clone());
        tty.type_key(key('j'));
        assert_eq!(next(&mut keys).await, Some(key('j')));

        let during = keys.released(|| {
            tty.owned.store(true, Ordering::SeqCst);
            // Keys that mean something to the app, typed into the editor.
            for typed in [key('q'), ctrl('s'), key('a'), key('y')] {
                tty.type_key(typed);
            }
            std::thread::sleep(POLL * 6);
            let left = tty.pending();
            // The editor reads its keys, and exits.
            tty.typed.lock().unwrap().clear();
            tty.owned.store(false, Ordering::SeqCst);
            left
        });
        assert_eq!(during, 4, "every key typed into the editor was left in the terminal for it");
        assert_eq!(tty.stolen.load(Ordering::SeqCst), 0, "the terminal was not even polled");

        // Reading again, and none of the editor's keys came through.
        tty.type_key(key('k'));
        assert_eq!(next(&mut keys).await, Some(key('k')));
        assert!(keys.keys.try_recv().is_err());
    }

    #[tokio::test]
    async fn keys_read_but_not_yet_taken_when_the_editor_starts_are_dropped() {
        let tty = Tty::default();
        let mut keys = Keys::spawn(tty.clone());
        // Typed right after the key that opens the editor: read, but the app is busy opening it.
        tty.type_key(key('q'));
        tty.type_key(ctrl('s'));
        wait_until("the reader takes the keys", || tty.pending() == 0);
        std::thread::sleep(Duration::from_millis(20));
        keys.released(|| {});
        tty.type_key(key('k'));
        assert_eq!(next(&mut keys).await, Some(key('k')), "not the q or Ctrl-S typed before the editor");
    }

    #[tokio::test]
    async fn the_reader_pauses_and_resumes_again_and_again() {
        let tty = Tty::default();
        let mut keys = Keys::spawn(tty.clone());
        for round in 0..20 {
            keys.released(|| {
                tty.owned.store(true, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(15));
                tty.owned.store(false, Ordering::SeqCst);
            });
            let c = char::from(b'a' + round);
            tty.type_key(key(c));
            assert_eq!(next(&mut keys).await, Some(key(c)));
        }
        assert_eq!(tty.stolen.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn an_ended_reader_neither_blocks_the_editor_nor_hangs_on_drop() {
        let tty = Tty::default();
        tty.broken.store(true, Ordering::SeqCst);
        let mut keys = Keys::spawn(tty.clone());
        assert_eq!(next(&mut keys).await, None, "the reader ended");
        assert_eq!(keys.released(|| 7), 7);
        drop(keys);
    }

    #[test]
    fn a_panicking_editor_still_lets_the_reader_go_on() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let tty = Tty::default();
        let mut keys = Keys::spawn(tty.clone());
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            keys.released(|| panic!("the editor failed"));
        }));
        assert!(panicked.is_err());
        tty.type_key(key('x'));
        assert_eq!(runtime.block_on(next(&mut keys)), Some(key('x')));
    }
}
