/// Something with one deadline at a time (a connection: header timeout, idle
/// timeout, backend timeout...). The loop keeps at most one heap entry per
/// target however often its deadline moves: a later deadline leaves the entry
/// where it is (it re-queues itself when it fires early), an earlier one
/// moves it up.
public protocol TimerTarget: AnyObject {
    /// Nanoseconds on the monotonic clock; 0 means no deadline.
    var deadline: UInt64 { get }
    /// Bookkeeping for the loop: where this target's entry sits in the heap
    /// (-1: none). Start at -1.
    var timerSlot: Int { get set }
    func deadlineExpired(now: UInt64)
}

struct TimerEntry {
    var deadline: UInt64
    var target: any TimerTarget
}

/// A binary min-heap that knows where each target's entry is, so a closing
/// connection can take its entry out at once (`cancel`) instead of staying
/// referenced, buffers and all, until a 60-second idle deadline comes round.
/// (swift-collections' `Heap` cannot remove an arbitrary element.)
struct TimerHeap {
    private var entries: [TimerEntry] = []

    var count: Int { entries.count }

    mutating func schedule(_ target: any TimerTarget) {
        let d = target.deadline
        guard d != 0 else { return }
        let slot = target.timerSlot
        if slot >= 0 {
            if entries[slot].deadline <= d { return }  // fires first and re-queues
            entries[slot].deadline = d
            siftUp(slot)
            return
        }
        entries.append(TimerEntry(deadline: d, target: target))
        target.timerSlot = entries.count - 1
        siftUp(entries.count - 1)
    }

    /// Drops `target`'s entry, if it has one (the target is going away).
    mutating func cancel(_ target: any TimerTarget) {
        let slot = target.timerSlot
        guard slot >= 0 else { return }
        target.timerSlot = -1
        remove(at: slot)
    }

    /// Removes the entries whose time has come and hands their targets over.
    /// Firing happens outside, because a fired target usually sets a new
    /// deadline, which must not happen while the heap is being modified.
    mutating func popExpired(now: UInt64, into expired: inout [any TimerTarget]) {
        while let top = entries.first, top.deadline <= now {
            top.target.timerSlot = -1
            remove(at: 0)
            expired.append(top.target)
        }
    }

    private mutating func remove(at slot: Int) {
        let last = entries.count - 1
        if slot != last {
            entries.swapAt(slot, last)
            entries[slot].target.timerSlot = slot
        }
        entries.removeLast()
        if slot < entries.count {
            siftDown(slot)
            siftUp(slot)
        }
    }

    private mutating func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard entries[i].deadline < entries[parent].deadline else { break }
            entries.swapAt(i, parent)
            entries[i].target.timerSlot = i
            entries[parent].target.timerSlot = parent
            i = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        let n = entries.count
        while true {
            let left = 2 * i + 1
            guard left < n else { break }
            let right = left + 1
            let child = right < n && entries[right].deadline < entries[left].deadline ? right : left
            guard entries[child].deadline < entries[i].deadline else { break }
            entries.swapAt(i, child)
            entries[i].target.timerSlot = i
            entries[child].target.timerSlot = child
            i = child
        }
    }
}
