import Stats

/// Counters one event loop keeps, with no lock and no sharing: the admin
/// endpoint asks every loop for a copy and adds them up.
struct LoopStats: Sendable {
    var connectionsTotal = 0
    var requests = 0
    /// Requests Tether answered itself before routing (400, 408, 413, 414, 431, 501...).
    var rejected: [Int: Int] = [:]
    var perListener: [String: Counters<ListenerCounter>] = [:]
}
