import Testing

@testable import Proxy

/// `max_conns` queues: first come first served, a waiter that left is
/// skipped when it reaches the front, and the count stays exact.
@Suite struct BackendQueueTests {
    final class Waiter: QueueWaiter {
        let name: String
        var queuedOn: Int
        init(_ name: String, on backend: Int) {
            self.name = name
            self.queuedOn = backend
        }
    }

    @Test func firstComeFirstServed() {
        var q = BackendQueue<Waiter>()
        for n in ["a", "b", "c"] { q.push(Waiter(n, on: 2)) }
        #expect(q.count == 3)
        #expect(q.pop(index: 2)?.name == "a")
        #expect(q.pop(index: 2)?.name == "b")
        #expect(q.count == 1)
    }

    @Test func aWaiterThatLeftIsSkippedAndNotCountedTwice() {
        var q = BackendQueue<Waiter>()
        let a = Waiter("a", on: 0), b = Waiter("b", on: 0), c = Waiter("c", on: 0)
        for w in [a, b, c] { q.push(w) }
        b.queuedOn = -1  // timed out: the session forgets its place...
        q.forget()       // ...and the queue its count
        #expect(q.count == 2)
        #expect(q.pop(index: 0)?.name == "a")
        #expect(q.pop(index: 0)?.name == "c", "b left: skipped")
        #expect(q.count == 0)
        #expect(q.pop(index: 0) == nil)
    }

    @Test func drainAllTakesOnlyTheLiveOnes() {
        var q = BackendQueue<Waiter>()
        let waiters = (0..<5).map { Waiter("w\($0)", on: 1) }
        for w in waiters { q.push(w) }
        waiters[3].queuedOn = -1
        q.forget()
        #expect(q.drainAll(index: 1).map(\.name) == ["w0", "w1", "w2", "w4"])
        #expect(q.count == 0)
    }

    /// Past 64 taken, the front of the array is dropped: a long-lived queue does not grow.
    @Test func aLongRunStaysInOrder() {
        var q = BackendQueue<Waiter>()
        var next = 0
        for round in 0..<50 {
            for _ in 0..<7 { q.push(Waiter("w\(next)", on: 0)); next += 1 }
            for k in 0..<5 {
                #expect(q.pop(index: 0)?.name == "w\(round * 5 + k)")
            }
        }
        #expect(q.count == 50 * 2)
    }
}
