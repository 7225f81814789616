/// Routing and traffic counters of one backend on one loop: no lock, no
/// sharing; the admin endpoint asks each loop for a copy and adds them up.
public struct BackendLoopStats: Sendable {
    public var counters = Counters<BackendCounter>()
    public var latency = LatencyHistogram()
    public var pinned = SessionSketch()
    /// Tether's own answers to requests routed here (backend-side causes).
    public var answers = Counters<LocalAnswer>()

    public init() {}

    /// Adds another loop's copy.
    public mutating func add(_ other: BackendLoopStats) {
        counters.add(other.counters)
        latency.add(other.latency)
        pinned.merge(other.pinned)
        answers.add(other.answers)
    }
}
