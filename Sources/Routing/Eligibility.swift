import Config

/// What routing needs to know of one backend besides its load, kept by
/// each loop as health and admin actions change it.
public struct BackendStatus: Sendable, Equatable {
    public var backup: Bool
    /// As the monitors last said (or as passive failures on this loop decided).
    public var healthUp = true
    public var adminState: AdminState
    /// Monotonic time it last came up (0: unknown, no slow-start ramp).
    public var upSince: UInt64 = 0

    public init(backup: Bool, adminState: AdminState) {
        self.backup = backup
        self.adminState = adminState
    }
}

extension Router.View {
    /// `count` backends, all usable, none loaded.
    public init(count: Int) {
        self.init(
            existingOK: Array(repeating: true, count: count), newOK: Array(repeating: true, count: count),
            load: Array(repeating: 0, count: count), totalLoad: 0, ramp: Array(repeating: 1, count: count))
    }

    /// Recomputes who may take what, whenever health or an admin state
    /// changes (and each tick during slow start): backups take traffic only
    /// while no primary is up; draining backends keep their sessions but
    /// take no new ones; maintenance takes nothing; a backend back from down
    /// takes a growing share of new sessions over `slowStart` (same unit as
    /// `now`).
    public mutating func refreshEligibility(_ status: [BackendStatus], slowStart: UInt64, now: UInt64) {
        var primaryUp = false
        for s in status where !s.backup && s.healthUp && s.adminState != .maintenance {
            primaryUp = true
        }
        for (i, s) in status.enumerated() {
            let usable = s.healthUp && s.adminState != .maintenance && (!s.backup || !primaryUp)
            existingOK[i] = usable
            newOK[i] = usable && s.adminState == .active
            if slowStart > 0 && s.upSince > 0 {
                let elapsed = now > s.upSince ? now - s.upSince : 0
                ramp[i] = min(1, Double(elapsed) / Double(slowStart))
            } else {
                ramp[i] = 1
            }
        }
    }

    /// A request on backend `i` started.
    @inlinable
    public mutating func loadTaken(_ i: Int) {
        load[i] += 1
        totalLoad += 1
    }

    /// A request on backend `i` ended.
    @inlinable
    public mutating func loadReleased(_ i: Int) {
        load[i] -= 1
        totalLoad -= 1
    }
}
