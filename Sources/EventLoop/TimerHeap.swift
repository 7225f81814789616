import HeapModule

/// Something with one deadline at a time (a connection: header timeout, idle
/// timeout, backend timeout...). The loop keeps at most a couple of heap entries
/// per target however often its deadline moves: a later deadline reuses the
/// entry already queued, which re-queues itself when it fires early.
public protocol TimerTarget: AnyObject {
    /// Nanoseconds on the monotonic clock; 0 means no deadline.
    var deadline: UInt64 { get }
    /// Bookkeeping for the loop: the deadline of this target's live heap entry.
    var scheduledDeadline: UInt64 { get set }
    func deadlineExpired(now: UInt64)
}

struct TimerEntry: Comparable {
    var deadline: UInt64
    var target: any TimerTarget

    static func < (a: TimerEntry, b: TimerEntry) -> Bool { a.deadline < b.deadline }
    static func == (a: TimerEntry, b: TimerEntry) -> Bool { a.deadline == b.deadline && a.target === b.target }
}

struct TimerHeap {
    private var heap = Heap<TimerEntry>()

    var count: Int { heap.count }

    mutating func schedule(_ target: any TimerTarget) {
        let d = target.deadline
        guard d != 0 else { return }
        let s = target.scheduledDeadline
        if s != 0 && s <= d { return }  // the queued entry fires first and re-queues
        target.scheduledDeadline = d
        heap.insert(TimerEntry(deadline: d, target: target))
    }

    /// Removes the live entries whose time has come and hands their targets
    /// over. Firing happens outside, because a fired target usually sets a new
    /// deadline, which must not happen while the heap is being modified.
    mutating func popExpired(now: UInt64, into expired: inout [any TimerTarget]) {
        while let top = heap.min, top.deadline <= now {
            _ = heap.removeMin()
            let target = top.target
            guard target.scheduledDeadline == top.deadline else { continue }  // superseded
            target.scheduledDeadline = 0
            expired.append(target)
        }
    }
}
