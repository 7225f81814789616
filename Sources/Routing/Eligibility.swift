import Config

/// Who may take what, recomputed whenever health or an admin state changes
/// (and each tick during slow start): backups take traffic only while no
/// primary is up; draining backends keep their sessions but take no new
/// ones; maintenance takes nothing; a backend back from down takes a
/// growing share of new sessions over `slow_start`.
public struct Eligibility: Sendable, Equatable {
    /// Takes requests of existing sessions.
    public private(set) var existingOK: [Bool]
    /// Takes new sessions.
    public private(set) var newOK: [Bool]
    /// Slow start: the share of new sessions it may take now (1 = all).
    public private(set) var ramp: [Double]

    public init(count: Int) {
        existingOK = Array(repeating: true, count: count)
        newOK = Array(repeating: true, count: count)
        ramp = Array(repeating: 1, count: count)
    }

    /// `upSince`: monotonic time each backend last came up (0: unknown,
    /// no ramp); `slowStart` and `now` in the same unit.
    public mutating func refresh(
        backup: [Bool], healthUp: [Bool], adminStates: [AdminState], upSince: [UInt64], slowStart: UInt64, now: UInt64
    ) {
        var primaryUp = false
        for i in backup.indices where !backup[i] && healthUp[i] && adminStates[i] != .maintenance {
            primaryUp = true
        }
        for i in backup.indices {
            let usable = healthUp[i] && adminStates[i] != .maintenance && (!backup[i] || !primaryUp)
            existingOK[i] = usable
            newOK[i] = usable && adminStates[i] == .active
            if slowStart > 0 && upSince[i] > 0 {
                let elapsed = now > upSince[i] ? now - upSince[i] : 0
                ramp[i] = min(1, Double(elapsed) / Double(slowStart))
            } else {
                ramp[i] = 1
            }
        }
    }

    /// The router's view, with this loop's load.
    public func view(load: [Int], totalLoad: Int) -> Router.View {
        Router.View(existingOK: existingOK, newOK: newOK, load: load, totalLoad: totalLoad, ramp: ramp)
    }
}
