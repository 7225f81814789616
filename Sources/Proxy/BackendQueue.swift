/// Requests waiting for a backend that is at its `max_conns` (HAProxy's server
/// queue). One per backend per loop: each loop owns an equal share of the
/// backend's `max_conns` and `max_queue` (rounded up), so admitting a waiter
/// never needs another loop, and nothing on the data path is shared.
///
/// First come, first served. A waiter that timed out or closed stays in the
/// array until it reaches the front (`pop` skips it); `count` counts only the
/// live ones, so the bound is exact.
struct BackendQueue<Waiter: QueueWaiter> {
    private var items: [Waiter] = []
    private var head = 0
    /// Live waiters.
    private(set) var count = 0

    mutating func push(_ waiter: Waiter) {
        items.append(waiter)
        count += 1
    }

    /// A waiter left without being admitted (timeout, closed).
    mutating func forget() { count -= 1 }

    /// The next live waiter for backend `index`, or nil.
    mutating func pop(index: Int) -> Waiter? {
        while head < items.count {
            let s = items[head]
            head += 1
            if head == items.count || head > 64 && head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
            if s.queuedOn == index {
                count -= 1
                return s
            }
        }
        return nil
    }

    /// Everyone still waiting (a reload: they go on without the limit).
    mutating func drainAll(index: Int) -> [Waiter] {
        var out: [Waiter] = []
        while let s = pop(index: index) { out.append(s) }
        return out
    }
}

/// What waits in a `BackendQueue`: it says which backend's queue it is
/// still in (-1 once it left), so a stale entry is skipped.
protocol QueueWaiter: AnyObject {
    var queuedOn: Int { get }
}
