/// A token bucket for log lines: `perSecond` lines a second, the rest counted
/// and reported with the next line that gets through.
struct EventBudget {
    static let perSecond = 10
    private var windowStart: UInt64 = 0
    private var used = 0
    private var suppressed = 0

    /// nil: over budget (counted); otherwise how many lines were suppressed
    /// since the last one that got through.
    mutating func take(now: UInt64) -> Int? {
        if now &- windowStart >= 1_000_000_000 {
            windowStart = now
            used = 0
        }
        guard used < Self.perSecond else {
            suppressed += 1
            return nil
        }
        used += 1
        defer { suppressed = 0 }
        return suppressed
    }
}
