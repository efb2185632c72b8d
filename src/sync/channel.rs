//! Channels: crossbeam's (`bounded`, `unbounded`; many senders, many receivers), where every send
//! and receive is a turn in a replay, and "the channel is full" or "empty" is read from the
//! channel itself.
#![forbid(unsafe_code)]

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

pub use crossbeam_channel::{
    RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError,
};

use crate::live::{self, WaitOn};
use crate::objects::ChannelMeta;
use crate::scheduler::{Granted, Pending, Scheduler, Until};
use crate::sync::{CHANNEL, replaying, reveal};

/// The sending side of a channel. Cloning it adds a sender; the channel disconnects for the
/// receivers when the last sender is dropped.
pub struct Sender<T> {
    inner: crossbeam_channel::Sender<T>,
    meta: Arc<ChannelMeta>,
    show: Option<fn(&T) -> String>,
}

/// The receiving side of a channel. Cloning it adds a receiver (each message goes to one).
pub struct Receiver<T> {
    inner: crossbeam_channel::Receiver<T>,
    meta: Arc<ChannelMeta>,
    show: Option<fn(&T) -> String>,
}

/// A channel that holds at most `capacity` messages: `send` waits while it is full.
/// (A capacity of 0, a rendezvous channel, is taken as 1 in a replay.)
pub fn bounded<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let (sender, receiver) = crossbeam_channel::bounded(capacity);
    wrap(sender, receiver, Some(capacity.max(1)))
}

/// A channel without a limit: `send` never waits.
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    let (sender, receiver) = crossbeam_channel::unbounded();
    wrap(sender, receiver, None)
}

fn wrap<T>(
    sender: crossbeam_channel::Sender<T>,
    receiver: crossbeam_channel::Receiver<T>,
    capacity: Option<usize>,
) -> (Sender<T>, Receiver<T>) {
    let meta = Arc::new(ChannelMeta::new(capacity));
    (
        Sender {
            inner: sender,
            meta: meta.clone(),
            show: None,
        },
        Receiver {
            inner: receiver,
            meta,
            show: None,
        },
    )
}

/// Naming a channel: `let (tx, rx) = bounded(2).named("jobs");`. The trace then also shows the
/// messages.
pub trait NamedChannel {
    /// Gives the channel the name the trace and deadlock reports show it by.
    fn named(self, name: &str) -> Self;
}

impl<T: fmt::Debug> NamedChannel for (Sender<T>, Receiver<T>) {
    fn named(self, name: &str) -> Self {
        let (mut sender, mut receiver) = self;
        let _ = sender.meta.name.set(name.to_string());
        sender.show = Some(|message| format!("{message:?}"));
        receiver.show = sender.show;
        (sender, receiver)
    }
}

fn name_in(meta: &Arc<ChannelMeta>, scheduler: &Scheduler) -> String {
    scheduler.object_name(
        Arc::as_ptr(meta) as *const () as usize,
        meta.name.get().map(String::as_str),
        CHANNEL,
    )
}

fn live_name(meta: &ChannelMeta) -> &str {
    meta.name.get().map_or("a channel", String::as_str)
}

fn shown<T>(scheduler: &Scheduler, show: Option<fn(&T) -> String>, message: &T) -> String {
    match show {
        Some(show) => format!(" {}", reveal(scheduler, show(message))),
        None => String::new(),
    }
}

impl<T> Sender<T> {
    /// Sends `message`, waiting while the channel is full. Fails (giving the message back) when
    /// every receiver is gone.
    pub fn send(&self, message: T) -> Result<(), SendError<T>> {
        match self.send_until(message, None) {
            Ok(()) => Ok(()),
            Err(SendTimeoutError::Disconnected(message) | SendTimeoutError::Timeout(message)) => {
                Err(SendError(message))
            }
        }
    }

    /// Sends `message` if there is room now.
    pub fn try_send(&self, message: T) -> Result<(), TrySendError<T>> {
        if let Some((scheduler, me)) = replaying() {
            let name = name_in(&self.meta, &scheduler);
            scheduler.turn(me, Pending::now(format!("try_send {name}")));
            let text = shown(&scheduler, self.show, &message);
            let result = self.inner.try_send(message);
            let verdict = match &result {
                Ok(()) => {
                    self.meta.len.fetch_add(1, Ordering::SeqCst);
                    "sent"
                }
                Err(TrySendError::Full(_)) => "full",
                Err(TrySendError::Disconnected(_)) => "disconnected",
            };
            scheduler.record(me, format!("try_send {name}{text}: {verdict}"), None);
            return result;
        }
        let result = self.inner.try_send(message);
        if result.is_ok() {
            self.meta.bump();
        }
        result
    }

    /// Sends `message`, waiting at most `timeout` (virtual time in a replay) for room.
    pub fn send_timeout(&self, message: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        self.send_until(message, Some(timeout))
    }

    fn send_until(&self, message: T, timeout: Option<Duration>) -> Result<(), SendTimeoutError<T>> {
        if let Some((scheduler, me)) = replaying() {
            let name = name_in(&self.meta, &scheduler);
            let mut pending =
                Pending::until(Until::CanSend(self.meta.clone()), format!("send on {name}"));
            pending.arrival = (!self.meta.can_send()).then(|| format!("waits: {name} is full"));
            pending.deadline = timeout.map(|timeout| scheduler.clock() + timeout);
            let granted = scheduler.turn(me, pending);
            if granted == Granted::TimedOut {
                scheduler.record(me, format!("send on {name}: timed out (full)"), None);
                return Err(SendTimeoutError::Timeout(message));
            }
            let text = shown(&scheduler, self.show, &message);
            return match self.inner.try_send(message) {
                Ok(()) => {
                    self.meta.len.fetch_add(1, Ordering::SeqCst);
                    scheduler.record(me, format!("send{text} on {name}"), None);
                    Ok(())
                }
                Err(TrySendError::Disconnected(message)) | Err(TrySendError::Full(message)) => {
                    scheduler.record(me, format!("send on {name}: no receiver left"), None);
                    Err(SendTimeoutError::Disconnected(message))
                }
            };
        }
        let message = match self.inner.try_send(message) {
            Ok(()) => {
                self.meta.bump();
                return Ok(());
            }
            Err(TrySendError::Disconnected(message)) => {
                return Err(SendTimeoutError::Disconnected(message));
            }
            Err(TrySendError::Full(message)) => message,
        };
        self.send_slowly(message, timeout)
    }

    #[cold]
    fn send_slowly(
        &self,
        mut message: T,
        timeout: Option<Duration>,
    ) -> Result<(), SendTimeoutError<T>> {
        let started = Instant::now();
        // A wait with a timeout ends by itself: the watchdog need not know of it.
        let _waiting = timeout.is_none().then(|| {
            live::wait(
                || format!("send on {} (full)", live_name(&self.meta)),
                WaitOn::Object {
                    version: self.meta.version.clone(),
                    seen: self.meta.version.load(Ordering::Relaxed),
                    wake: None,
                },
            )
        });
        loop {
            let slice = match timeout {
                Some(timeout) => {
                    let left = timeout.saturating_sub(started.elapsed());
                    if left.is_zero() {
                        return Err(SendTimeoutError::Timeout(message));
                    }
                    left.min(live::POLL)
                }
                None => live::POLL,
            };
            match self.inner.send_timeout(message, slice) {
                Ok(()) => {
                    self.meta.bump();
                    return Ok(());
                }
                Err(SendTimeoutError::Timeout(back)) => message = back,
                Err(error) => return Err(error),
            }
            live::stop_if_cancelled();
        }
    }

    /// How many messages wait in the channel.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// True when no message waits.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// True when a bounded channel is at its capacity.
    pub fn is_full(&self) -> bool {
        self.inner.is_full()
    }

    /// The capacity of a bounded channel.
    pub fn capacity(&self) -> Option<usize> {
        self.inner.capacity()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        self.meta.senders.fetch_add(1, Ordering::SeqCst);
        Sender {
            inner: self.inner.clone(),
            meta: self.meta.clone(),
            show: self.show,
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let left = self.meta.senders.fetch_sub(1, Ordering::SeqCst) - 1;
        self.meta.bump();
        if left == 0 {
            if let Some((scheduler, me)) = replaying() {
                let name = name_in(&self.meta, &scheduler);
                scheduler.record(me, format!("drop the last sender of {name}"), None);
            }
        }
    }
}

impl<T> Receiver<T> {
    /// Receives a message, waiting while the channel is empty. Fails when the channel is empty
    /// and every sender is gone: that is how a receiving loop learns the work is over.
    pub fn recv(&self) -> Result<T, RecvError> {
        self.recv_until(None).map_err(|_| RecvError)
    }

    /// Receives a message, waiting at most `timeout` (virtual time in a replay).
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.recv_until(Some(timeout))
    }

    /// Receives a message if one is there now.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        if let Some((scheduler, me)) = replaying() {
            let name = name_in(&self.meta, &scheduler);
            scheduler.turn(me, Pending::now(format!("try_recv {name}")));
            let result = self.inner.try_recv();
            let text = match &result {
                Ok(message) => {
                    self.meta.len.fetch_sub(1, Ordering::SeqCst);
                    format!(
                        "try_recv {name} ->{}",
                        shown(&scheduler, self.show, message)
                    )
                }
                Err(TryRecvError::Empty) => format!("try_recv {name}: empty"),
                Err(TryRecvError::Disconnected) => format!("try_recv {name}: disconnected"),
            };
            scheduler.record(me, text, None);
            return result;
        }
        let result = self.inner.try_recv();
        if result.is_ok() {
            self.meta.bump();
        }
        result
    }

    fn recv_until(&self, timeout: Option<Duration>) -> Result<T, RecvTimeoutError> {
        if let Some((scheduler, me)) = replaying() {
            let name = name_in(&self.meta, &scheduler);
            let mut pending = Pending::until(
                Until::CanReceive(self.meta.clone()),
                format!("recv on {name}"),
            );
            pending.arrival = (!self.meta.can_receive()).then(|| format!("waits: {name} is empty"));
            pending.deadline = timeout.map(|timeout| scheduler.clock() + timeout);
            if scheduler.turn(me, pending) == Granted::TimedOut {
                scheduler.record(me, format!("recv on {name}: timed out"), None);
                return Err(RecvTimeoutError::Timeout);
            }
            return match self.inner.try_recv() {
                Ok(message) => {
                    self.meta.len.fetch_sub(1, Ordering::SeqCst);
                    let text = shown(&scheduler, self.show, &message);
                    scheduler.record(me, format!("recv{text} from {name}"), None);
                    Ok(message)
                }
                Err(_) => {
                    scheduler.record(me, format!("recv on {name}: disconnected"), None);
                    Err(RecvTimeoutError::Disconnected)
                }
            };
        }
        match self.inner.try_recv() {
            Ok(message) => {
                self.meta.bump();
                return Ok(message);
            }
            Err(TryRecvError::Disconnected) => return Err(RecvTimeoutError::Disconnected),
            Err(TryRecvError::Empty) => {}
        }
        self.recv_slowly(timeout)
    }

    #[cold]
    fn recv_slowly(&self, timeout: Option<Duration>) -> Result<T, RecvTimeoutError> {
        let started = Instant::now();
        // A wait with a timeout ends by itself: the watchdog need not know of it.
        let _waiting = timeout.is_none().then(|| {
            live::wait(
                || format!("recv on {} (empty)", live_name(&self.meta)),
                WaitOn::Object {
                    version: self.meta.version.clone(),
                    seen: self.meta.version.load(Ordering::Relaxed),
                    wake: None,
                },
            )
        });
        loop {
            let slice = match timeout {
                Some(timeout) => {
                    let left = timeout.saturating_sub(started.elapsed());
                    if left.is_zero() {
                        return Err(RecvTimeoutError::Timeout);
                    }
                    left.min(live::POLL)
                }
                None => live::POLL,
            };
            match self.inner.recv_timeout(slice) {
                Ok(message) => {
                    self.meta.bump();
                    return Ok(message);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(error) => return Err(error),
            }
            live::stop_if_cancelled();
        }
    }

    /// Receives messages until the channel is empty and disconnected.
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { receiver: self }
    }

    /// Receives the messages that are there now, without waiting.
    pub fn try_iter(&self) -> TryIter<'_, T> {
        TryIter { receiver: self }
    }

    /// How many messages wait in the channel.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// True when no message waits.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// The capacity of a bounded channel.
    pub fn capacity(&self) -> Option<usize> {
        self.inner.capacity()
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Receiver<T> {
        self.meta.receivers.fetch_add(1, Ordering::SeqCst);
        Receiver {
            inner: self.inner.clone(),
            meta: self.meta.clone(),
            show: self.show,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.meta.receivers.fetch_sub(1, Ordering::SeqCst);
        self.meta.bump();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sender { .. }")
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Receiver { .. }")
    }
}

/// Iterator over received messages; ends when the channel is empty and disconnected.
pub struct Iter<'a, T> {
    receiver: &'a Receiver<T>,
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.receiver.recv().ok()
    }
}

/// Iterator over the messages that are there now.
pub struct TryIter<'a, T> {
    receiver: &'a Receiver<T>,
}

impl<T> Iterator for TryIter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.receiver.try_recv().ok()
    }
}

/// Owning iterator over received messages.
pub struct IntoIter<T> {
    receiver: Receiver<T>,
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.receiver.recv().ok()
    }
}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        IntoIter { receiver: self }
    }
}

/// A receiver that [`select!`](crate::select) can wait on.
pub trait Selectable {
    #[doc(hidden)]
    fn meta(&self) -> &Arc<ChannelMeta>;
    #[doc(hidden)]
    fn add_to<'a>(&'a self, select: &mut crossbeam_channel::Select<'a>) -> usize;
}

impl<T> Selectable for Receiver<T> {
    fn meta(&self) -> &Arc<ChannelMeta> {
        &self.meta
    }
    fn add_to<'a>(&'a self, select: &mut crossbeam_channel::Select<'a>) -> usize {
        select.recv(&self.inner)
    }
}

// A borrowed receiver can be selected on too, as with crossbeam's `select!`.
impl<S: Selectable + ?Sized> Selectable for &S {
    fn meta(&self) -> &Arc<ChannelMeta> {
        (**self).meta()
    }
    fn add_to<'a>(&'a self, select: &mut crossbeam_channel::Select<'a>) -> usize {
        (**self).add_to(select)
    }
}

/// Waits until one of `receivers` has a message or is disconnected and returns its index, or
/// `receivers.len()` when `timeout` passes first. Used by [`select!`](crate::select).
#[doc(hidden)]
pub fn select_index(receivers: &[&dyn Selectable], timeout: Option<Duration>) -> usize {
    if let Some((scheduler, me)) = replaying() {
        let names: Vec<String> = receivers
            .iter()
            .map(|receiver| name_in(receiver.meta(), &scheduler))
            .collect();
        let metas: Vec<Arc<ChannelMeta>> = receivers
            .iter()
            .map(|receiver| receiver.meta().clone())
            .collect();
        let ready_now = metas.iter().any(|meta| meta.can_receive());
        let mut pending = Pending::until(
            Until::AnyCanReceive(metas.clone()),
            format!("select on {}", names.join(", ")),
        );
        pending.arrival = (!ready_now).then(|| format!("waits: {} all empty", names.join(", ")));
        pending.deadline = timeout.map(|timeout| scheduler.clock() + timeout);
        let granted = scheduler.turn(me, pending);
        let chosen = metas
            .iter()
            .position(|meta| meta.can_receive())
            .filter(|_| granted != Granted::TimedOut)
            .unwrap_or(receivers.len());
        let text = match names.get(chosen) {
            Some(name) => format!("select: {name} is ready"),
            None => "select: timed out".to_string(),
        };
        scheduler.record(me, text, None);
        return chosen;
    }
    let mut select = crossbeam_channel::Select::new();
    for receiver in receivers {
        receiver.add_to(&mut select);
    }
    if let Ok(index) = select.try_ready() {
        return index;
    }
    let started = Instant::now();
    loop {
        let slice = match timeout {
            Some(timeout) => {
                let left = timeout.saturating_sub(started.elapsed());
                if left.is_zero() {
                    return receivers.len();
                }
                left.min(live::POLL)
            }
            None => live::POLL,
        };
        if let Ok(index) = select.ready_timeout(slice) {
            return index;
        }
        live::stop_if_cancelled();
    }
}

/// Waits on several receivers at once, like crossbeam's `select!`:
///
/// ```
/// use workbook::sync::unbounded;
/// let (numbers_tx, numbers) = unbounded::<u32>();
/// let (_words_tx, words) = unbounded::<&str>();
/// numbers_tx.send(7).unwrap();
/// let got = workbook::select! {
///     recv(numbers) -> message => format!("number {message:?}"),
///     recv(words) -> message => format!("word {message:?}"),
/// };
/// assert_eq!(got, "number Ok(7)");
/// ```
///
/// A last arm `default(timeout) => ...` runs when no receiver is ready within `timeout`.
#[macro_export]
macro_rules! select {
    ($(recv($receiver:expr) -> $message:pat => $body:expr),+ $(,)?) => {{
        let __index = $crate::sync::select_index(&[$(&$receiver as &dyn $crate::sync::Selectable),+], None);
        $crate::__select_arms!(__index; $(recv($receiver) -> $message => $body,)+)
    }};
    ($(recv($receiver:expr) -> $message:pat => $body:expr,)+ default($timeout:expr) => $default:expr $(,)?) => {{
        let __index = $crate::sync::select_index(
            &[$(&$receiver as &dyn $crate::sync::Selectable),+],
            Some($timeout),
        );
        $crate::__select_arms!(__index; $(recv($receiver) -> $message => $body,)+ default => $default)
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __select_arms {
    ($index:expr; recv($receiver:expr) -> $message:pat => $body:expr, $($rest:tt)*) => {
        if $index == 0 {
            let $message = $receiver.recv();
            $body
        } else {
            $crate::__select_arms!($index - 1; $($rest)*)
        }
    };
    ($index:expr; default => $default:expr) => {
        $default
    };
    ($index:expr;) => {
        panic!("select!: no arm has this index")
    };
}
