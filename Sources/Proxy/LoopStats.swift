import Stats

/// Counters one event loop keeps, with no lock and no sharing: the admin
/// endpoint asks every loop for a copy and adds them up.
struct LoopStats: Sendable {
    var connectionsTotal = 0
    var requests = 0
    /// Requests Tether answered itself, by cause (routed or not).
    var rejected = Counters<LocalAnswer>()
    /// Requests answered with the redirect to https.
    var redirects = 0
    var perListener: [String: Counters<ListenerCounter>] = [:]
}
