/// Routing and traffic counters of one backend on one loop: no lock, no
/// sharing; the admin endpoint asks each loop for a copy and adds them up.
public struct BackendLoopStats: Sendable {
    public var counters = Counters<BackendCounter>()
    public var latency = LatencyHistogram()
    public var pinned = SessionSketch()

    public init() {}

    /// Adds another loop's copy.
    public mutating func add(_ other: BackendLoopStats) {
        counters.add(other.counters)
        latency.add(other.latency)
        pinned.merge(other.pinned)
    }
}
