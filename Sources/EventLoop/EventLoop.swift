import CSystem
import Dispatch
import Glibc

/// Receives readiness events for one file descriptor, on its loop.
public protocol EventHandler: AnyObject {
    /// `events` is the epoll mask (`EventLoop.readable`, `.writable`, `.hangup`, `.error`).
    func handleEvent(_ events: UInt32)
}

/// One event loop: a serial `DispatchQueue` that owns an epoll fd.
///
/// One Dispatch read source watches the epoll fd; its handler drains every
/// ready socket in one `epoll_wait(…, 0)` batch. libdispatch on Linux hands each
/// source event from its manager thread to a worker, so a source per socket
/// pays that hop per read (measured: ~80k req/s); one source per loop pays it
/// once per batch (~164k req/s, on par with nginx). See docs/ARCHITECTURE.md.
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

    /// Monotonic time cached at the start of each batch: one clock read per
    /// batch instead of one per timeout update.
    public private(set) var now: UInt64

    public init(index: Int, tickIntervalNanos: UInt64 = 100_000_000) {
        self.index = index
        self.queue = DispatchQueue(label: "tether.loop.\(index)")
        self.epfd = csys_epoll_create()
        precondition(epfd >= 0, "epoll_create1 failed: \(errno)")
        self.now = Clock.monotonicNanos()
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

    /// Runs `body` on this loop.
    public func execute(_ body: @escaping @Sendable () -> Void) {
        queue.async(execute: body)
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

    private func poll() {
        // Events that became ready while a batch ran are taken in the same
        // run (up to 8 batches): each run of this handler costs the Dispatch
        // manager thread and a worker thread a wake-up each, which on a busy
        // core are context switches (measured: 2.1 per TLS connection, nginx 0.4).
        for _ in 0..<8 {
            now = Clock.monotonicNanos()
            let n = eventMasks.withUnsafeMutableBufferPointer { masks in
                eventData.withUnsafeMutableBufferPointer { data in
                    csys_epoll_wait(epfd, masks.baseAddress, data.baseAddress, 256, 0)
                }
            }
            guard n > 0 else { return }
            for k in 0..<Int(n) {
                let data = eventData[k]
                let fd = Int(UInt32(truncatingIfNeeded: data))
                guard fd < handlers.count, generations[fd] == UInt32(truncatingIfNeeded: data >> 32),
                    let handler = handlers[fd]
                else { continue }
                handler.handleEvent(eventMasks[k])
            }
        }
    }

    private func onTick() {
        now = Clock.monotonicNanos()
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

/// Carries a loop-confined object into work queued on that same loop
/// (`execute`): the value never crosses to another thread's use, which is
/// what makes the unchecked conformance true. Use it for nothing else.
public struct LoopBound<Value: AnyObject>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
