/// The rise/fall rule (HAProxy's `rise`/`fall`): a down backend comes up
/// after `rise` passed checks in a row, an up one goes down after `fall`
/// failed ones in a row; one result of the other kind starts the count
/// again. Pure, so the rule is tested without sockets.
public struct RiseFall: Sendable, Equatable {
    public private(set) var up = true
    /// Checks in a row with the same result.
    public private(set) var successes = 0
    public private(set) var failures = 0

    public init() {}

    public enum Change: Sendable, Equatable {
        case none
        /// Came up after this many passed checks in a row.
        case up(Int)
        /// Went down after this many failed checks in a row.
        case down(Int)
    }

    public mutating func record(ok: Bool, rise: Int, fall: Int) -> Change {
        if ok {
            successes += 1
            failures = 0
            if !up && successes >= rise {
                up = true
                return .up(successes)
            }
        } else {
            failures += 1
            successes = 0
            if up && failures >= fall {
                up = false
                return .down(failures)
            }
        }
        return .none
    }

    /// Down at once (passive failures on the data path): it needs `rise`
    /// passed checks to come back, as after `fall` failed ones.
    public mutating func forceDown(fall: Int) -> Bool {
        successes = 0
        failures = fall
        defer { up = false }
        return up
    }

    /// Up at once (no active checks to bring it back after a passive failure).
    public mutating func forceUp(rise: Int) -> Bool {
        successes = rise
        failures = 0
        defer { up = true }
        return !up
    }
}
