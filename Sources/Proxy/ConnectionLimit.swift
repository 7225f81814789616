import Synchronization

/// A client-connection cap (the global one, or one listener's), shared by
/// all loops. One atomic
/// increment per accepted connection (not per request), so it is not a
/// hot-path lock.
final class ConnectionLimit: Sendable {
    private let current = Atomic<Int>(0)
    private let maximumValue: Atomic<Int>

    init(maximum: Int) {
        maximumValue = Atomic(maximum)
    }

    /// Changed by a reload; connections above a lowered cap are not closed.
    var maximum: Int {
        get { maximumValue.load(ordering: .relaxed) }
        set { maximumValue.store(newValue, ordering: .relaxed) }
    }

    var count: Int { current.load(ordering: .relaxed) }

    func tryAcquire() -> Bool {
        let n = current.wrappingAdd(1, ordering: .relaxed).newValue
        if n > maximumValue.load(ordering: .relaxed) {
            current.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func release() {
        current.wrappingSubtract(1, ordering: .relaxed)
    }
}
