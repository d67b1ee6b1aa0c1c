//! A value worked out on a thread of its own while the caller goes on, and waited for where it is
//! first needed (the fonts while the data is read and checked, git's answer while a month is
//! built).

use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;

/// A value being worked out in the background.
pub(crate) struct Background<T> {
    working: Mutex<Option<JoinHandle<T>>>,
    done: OnceLock<Option<T>>,
}

impl<T: Send + 'static> Background<T> {
    /// Starts working out the value.
    pub(crate) fn start(work: impl FnOnce() -> T + Send + 'static) -> Background<T> {
        Background {
            working: Mutex::new(Some(std::thread::spawn(work))),
            done: OnceLock::new(),
        }
    }

    /// The value, waiting for it the first time; `None` when the thread working it out died.
    pub(crate) fn get(&self) -> Option<&T> {
        self.done
            .get_or_init(|| {
                let handle = self.working.lock().unwrap_or_else(|e| e.into_inner()).take();
                handle.and_then(|h| h.join().ok())
            })
            .as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_is_waited_for_once() {
        let value = Background::start(|| 6 * 7);
        assert_eq!(value.get(), Some(&42));
        assert_eq!(value.get(), Some(&42));
        let died: Background<u8> = Background::start(|| panic!("the thread dies"));
        assert_eq!(died.get(), None);
    }
}
