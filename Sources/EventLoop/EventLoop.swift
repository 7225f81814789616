import CSystem
import Dispatch
import Glibc
import Synchronization

/// Receives readiness events for one file descriptor, on its loop.
public protocol EventHandler: AnyObject {
    /// `events` is the epoll mask (`EventLoop.readable`, `.writable`, `.hangup`, `.error`).
    func handleEvent(_ events: UInt32)
}

/// One event loop: a serial `DispatchQueue` that owns an epoll fd.
///
/// One Dispatch read source watches the epoll fd; its handler drains every
/// ready socket in one `epoll_wait` batch. libdispatch on Linux hands each
/// source event from its manager thread to a worker, so a source per socket
/// pays that hop per read (measured: ~80k req/s); one source per loop pays it
/// once per handler run. While there is work the handler keeps the thread:
/// after a batch it waits in `epoll_wait` for up to `linger` before handing
/// the queue back (see `poll`), so under load the loop sleeps and wakes in
/// the kernel like nginx's, and an idle loop still parks in Dispatch. See
/// docs/ARCHITECTURE.md.
///
/// Everything registered with a loop is touched only on its queue, which is
/// what makes the `@unchecked Sendable` true: cross-loop work goes through
/// `execute`, never through shared mutable state.
public final class EventLoop: @unchecked Sendable {
    public static let readable = csys_EPOLLIN
    public static let writable = csys_EPOLLOUT
    public static let hangup = csys_EPOLLHUP | csys_EPOLLRDHUP
    public static let error = csys_EPOLLERR

    public let index: Int
    public let queue: DispatchQueue
    private let epfd: Int32
    private var source: DispatchSourceRead?
    private var tick: DispatchSourceTimer?
    private var handlers: [EventHandler?] = []
    private var generations: [UInt32] = []
    private var timers = TimerHeap()
    private var eventMasks = [UInt32](repeating: 0, count: 256)
    private var eventData = [UInt64](repeating: 0, count: 256)
    private var tickHandlers: [() -> Void] = []
    private var expired: [any TimerTarget] = []
    /// Wakes a lingering `poll` when work is queued from elsewhere (`execute`).
    private let wakeFD: Int32
    private let wakeToken: UInt64 = .max
    /// `execute` calls so far, and whether `poll` is blocked in its linger:
    /// the pair lets `execute` skip the eventfd write unless it is needed.
    private let posted = Atomic<UInt64>(0)
    private let lingering = Atomic<Bool>(false)
    /// Work queued by handlers for after the current batch (`later`).
    private var deferred: [() -> Void] = []
    private var polling = false
    /// When the next Dispatch tick is due: `poll` returns the queue by then.
    private var tickDue: UInt64
    private let tickInterval: UInt64
    /// How long `poll` waits for more events before handing the queue back.
    public let linger: UInt64

    /// Monotonic time cached at the start of each batch: one clock read per
    /// batch instead of one per timeout update.
    public private(set) var now: UInt64

    /// The descriptor whose event `handleEvent` is handling: a handler
    /// registered for two (a tunnel's client and backend sockets) tells them
    /// apart by it instead of holding one forwarding object per descriptor.
    public private(set) var eventFD: Int32 = -1

    /// - Parameter lingerNanos: 0 hands the queue back after every batch.
    public init(index: Int, tickIntervalNanos: UInt64 = 100_000_000, lingerNanos: UInt64 = 1_000_000) {
        self.index = index
        self.queue = DispatchQueue(label: "tether.loop.\(index)")
        self.epfd = csys_epoll_create()
        precondition(epfd >= 0, "epoll_create1 failed: \(errno)")
        self.wakeFD = csys_eventfd()
        precondition(wakeFD >= 0, "eventfd failed: \(errno)")
        _ = csys_epoll_ctl(epfd, EPOLL_CTL_ADD, wakeFD, csys_EPOLLIN, .max)
        self.now = Clock.monotonicNanos()
        self.tickInterval = tickIntervalNanos
        self.tickDue = now + tickIntervalNanos
        self.linger = lingerNanos
        let source = DispatchSource.makeReadSource(fileDescriptor: epfd, queue: queue)
        source.setEventHandler { [unowned self] in self.poll() }
        source.resume()
        self.source = source
        let timer = DispatchSource.makeTimerSource(queue: queue)
        let interval = Int(tickIntervalNanos)
        timer.schedule(deadline: .now() + .nanoseconds(interval), repeating: .nanoseconds(interval), leeway: .milliseconds(5))
        timer.setEventHandler { [unowned self] in self.onTick() }
        timer.resume()
        self.tick = timer
    }

    /// Runs `body` on this loop (from any thread).
    public func execute(_ body: @escaping @Sendable () -> Void) {
        queue.async(execute: body)
        // Sequentially consistent, as `poll`'s side: either it sees the count
        // move before it blocks, or this sees it blocked and wakes it.
        posted.add(1, ordering: .sequentiallyConsistent)
        if lingering.load(ordering: .sequentiallyConsistent) { csys_eventfd_signal(wakeFD) }
    }

    /// Runs `body` on this loop once the current batch of events is handled
    /// (call on the loop): work a handler cannot do inside its own event,
    /// without a round trip through Dispatch.
    public func later(_ body: @escaping () -> Void) {
        if polling {
            deferred.append(body)
        } else {
            let bound = LoopBound(Deferred(body))
            queue.async { bound.value.body() }
        }
    }

    // MARK: Registration

    /// Watches `fd` for `events` (level-triggered) and routes them to `handler`.
    public func register(_ fd: Int32, events: UInt32, handler: EventHandler, exclusive: Bool = false) -> Bool {
        let i = Int(fd)
        if i >= handlers.count {
            let n = max(i + 1, handlers.count * 2, 1024)
            handlers.append(contentsOf: repeatElement(nil, count: n - handlers.count))
            generations.append(contentsOf: repeatElement(0, count: n - generations.count))
        }
        generations[i] &+= 1
        handlers[i] = handler
        let mask = exclusive ? events | csys_EPOLLEXCLUSIVE : events
        return csys_epoll_ctl(epfd, EPOLL_CTL_ADD, fd, mask, token(fd)) == 0
    }

    public func modify(_ fd: Int32, events: UInt32) {
        _ = csys_epoll_ctl(epfd, EPOLL_CTL_MOD, fd, events, token(fd))
    }

    /// Routes `fd`'s events to another handler from now on (a TLS
    /// connection's session taking over from its handshake), without a
    /// system call: the registration and its interest stay as they are.
    public func handOver(_ fd: Int32, to handler: EventHandler) {
        handlers[Int(fd)] = handler
    }

    /// Stops watching `fd`; events for it already fetched in this batch are dropped.
    public func deregister(_ fd: Int32) {
        let i = Int(fd)
        guard i < handlers.count else { return }
        _ = csys_epoll_ctl(epfd, EPOLL_CTL_DEL, fd, 0, 0)
        handlers[i] = nil
        generations[i] &+= 1
    }

    @inline(__always)
    private func token(_ fd: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: fd)) | UInt64(generations[Int(fd)]) << 32
    }

    // MARK: Timers

    /// Queues `target` at its current deadline (call after changing it).
    @inline(__always)
    public func schedule(_ target: any TimerTarget) {
        timers.schedule(target)
    }

    /// Takes `target`'s deadline off the heap (call when it closes, so the
    /// heap does not keep it alive).
    @inline(__always)
    public func cancelTimer(_ target: any TimerTarget) {
        timers.cancel(target)
    }

    /// Runs `body` on every tick (e.g. flushing the access log).
    public func onEveryTick(_ body: @escaping () -> Void) {
        tickHandlers.append(body)
    }

    // MARK: The loop

    /// Handles ready events, batch after batch, and keeps the thread while
    /// they keep coming: each return to Dispatch costs its manager thread
    /// and a worker a wake-up (measured: 0.25 context switches per request
    /// at 50 connections, nginx 0.011), a blocking `epoll_wait` costs one
    /// sleep. The wait is bounded by `linger` (an idle loop parks in
    /// Dispatch and burns nothing), ends early for `execute` (eventfd), and
    /// the queue goes back when a tick is due, so Dispatch timers and other
    /// queued work keep their timing.
    private func poll() {
        polling = true
        defer { polling = false }
        let seen = posted.load(ordering: .sequentiallyConsistent)
        var timeout: UInt64 = 0
        while true {
            let n: Int32
            if timeout == 0 {
                n = wait(0)
            } else {
                lingering.store(true, ordering: .sequentiallyConsistent)
                if posted.load(ordering: .sequentiallyConsistent) != seen {
                    lingering.store(false, ordering: .sequentiallyConsistent)
                    return
                }
                n = wait(timeout)
                lingering.store(false, ordering: .sequentiallyConsistent)
            }
            now = Clock.monotonicNanos()
            for k in 0..<Int(max(n, 0)) {
                let data = eventData[k]
                if data == wakeToken {
                    csys_eventfd_drain(wakeFD)
                    continue
                }
                let fd = Int(UInt32(truncatingIfNeeded: data))
                guard fd < handlers.count, generations[fd] == UInt32(truncatingIfNeeded: data >> 32),
                    let handler = handlers[fd]
                else { continue }
                eventFD = Int32(truncatingIfNeeded: fd)
                handler.handleEvent(eventMasks[k])
            }
            let hadDeferred = !deferred.isEmpty
            runDeferred()
            if n <= 0 && !hadDeferred { return }  // quiet: park in Dispatch
            if posted.load(ordering: .relaxed) != seen || now >= tickDue {
                handDeferredToDispatch()
                return
            }
            // Work deferred by deferred work waits for one more look at
            // the sockets, so no handler can hold the loop by re-deferring.
            timeout = deferred.isEmpty ? min(linger, tickDue - now) : 0
        }
    }

    @inline(__always)
    private func wait(_ timeoutNanos: UInt64) -> Int32 {
        eventMasks.withUnsafeMutableBufferPointer { masks in
            eventData.withUnsafeMutableBufferPointer { data in
                csys_epoll_wait_ns(epfd, masks.baseAddress, data.baseAddress, 256, Int64(timeoutNanos))
            }
        }
    }

    /// Runs what handlers deferred so far (not what that defers in turn).
    private func runDeferred() {
        guard !deferred.isEmpty else { return }
        let work = deferred
        deferred.removeAll(keepingCapacity: true)
        for body in work { body() }
    }

    private func handDeferredToDispatch() {
        guard !deferred.isEmpty else { return }
        let bound = LoopBound(Deferred { [unowned self] in self.runDeferred() })
        queue.async { bound.value.body() }
    }

    private func onTick() {
        now = Clock.monotonicNanos()
        tickDue = now + tickInterval
        timers.popExpired(now: now, into: &expired)
        for target in expired {
            let d = target.deadline
            if d == 0 { continue }
            if d > now {
                timers.schedule(target)  // moved later since it was queued
            } else {
                target.deadlineExpired(now: now)
            }
        }
        expired.removeAll(keepingCapacity: true)
        for body in tickHandlers { body() }
    }
}

/// A closure queued by `later` outside a batch, boxed to ride `queue.async`.
private final class Deferred {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}

/// Carries a loop-confined object into work queued on that same loop
/// (`execute`): the value never crosses to another thread's use, which is
/// what makes the unchecked conformance true. Use it for nothing else.
public struct LoopBound<Value: AnyObject>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
