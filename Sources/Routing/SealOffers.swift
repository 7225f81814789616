/// Which sessions were offered an affinity seal lately, per event loop.
///
/// A client that returns only its application cookie (`app_cookie` without
/// `prefix`) is offered Tether's sealed cookie, so that once it keeps it, a
/// reload can no longer move its session. One that does not keep it (API
/// clients, scripts) would be offered it again on every response: two
/// SipHash runs and a `Set-Cookie` each time, for nothing (measured: sticky
/// mode at 0.93x round-robin's requests per CPU-second). So a session is
/// offered the seal at most once per `interval` on a loop: a browser keeps
/// it from the first offer, and one that lost it (a restart that kept the
/// app's persistent cookie) gets it again within the interval.
///
/// Direct-mapped on the session key's hash, fixed size: a collision only
/// means one more offer, never one fewer than needed after `interval`.
public struct SealOffers: Sendable {
    public static let slots = 4096
    public static let interval: UInt32 = 60

    private var keys: [UInt64]
    private var times: [UInt32]

    public init() {
        keys = Array(repeating: 0, count: Self.slots)
        times = Array(repeating: 0, count: Self.slots)
    }

    /// Whether session `key` gets the seal now (wall seconds); if so, it
    /// is remembered as offered.
    public mutating func offer(_ key: UInt64, now: UInt32) -> Bool {
        let i = Int(truncatingIfNeeded: key) & (Self.slots - 1)
        let t = max(now, 1)  // 0 marks an empty slot
        if keys[i] == key && times[i] != 0 && t &- times[i] < Self.interval { return false }
        keys[i] = key
        times[i] = t
        return true
    }
}
