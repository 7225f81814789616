import Dispatch

/// The main queue's wake-up descriptor, made while descriptors are plentiful.
///
/// `dispatchMain()` retires the main thread, and on the way out libdispatch
/// (`_dispatch_queue_cleanup2`) makes the main queue's wake-up eventfd if it
/// has none yet, trapping ("eventfd() failure: process is out of file
/// descriptors", SIGILL) when it cannot. On a busy machine the main thread
/// may get there only after a flood of connections has taken every
/// descriptor: that was the crash behind the flaky
/// `descriptorExhaustionDoesNotSpinTheLoop` (core: `_libdispatch_tsd_cleanup`
/// → `_dispatch_queue_cleanup2` → `_dispatch_runloop_queue_handle_init`).
/// An enqueue on the still thread-bound main queue makes the eventfd at once
/// (`_dispatch_runloop_queue_poke`), so the exit path has nothing to create.
enum MainQueueHandle {
    /// Call before any socket is bound, from the main thread.
    static func makeNow() {
        DispatchQueue.main.async {}
    }
}
