import Synchronization

/// The global client-connection cap, shared by all loops. One atomic
/// increment per accepted connection (not per request), so it is not a
/// hot-path lock.
final class ConnectionLimit: Sendable {
    private let current = Atomic<Int>(0)
    let maximum: Int

    init(maximum: Int) {
        self.maximum = maximum
    }

    var count: Int { current.load(ordering: .relaxed) }

    func tryAcquire() -> Bool {
        let n = current.wrappingAdd(1, ordering: .relaxed).newValue
        if n > maximum {
            current.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func release() {
        current.wrappingSubtract(1, ordering: .relaxed)
    }
}
