import Config

/// A backend's effective check settings: the global `health_check` with the
/// backend's overrides applied, in loop units.
struct HealthCheckSettings: Equatable, Sendable {
    var enabled: Bool
    var path: String
    var host: String
    var interval: UInt64
    var timeout: UInt64
    var rise: Int
    var fall: Int
    var statusLow: Int
    var statusHigh: Int
    var passive5xx: Bool

    init(global: HealthCheckConfig, backend: BackendConfig) {
        let o = backend.health
        enabled = o.enabled ?? global.enabled
        path = o.path ?? global.path
        host = global.host ?? backend.address
        interval = (o.interval ?? global.interval).nanoseconds
        timeout = (o.timeout ?? global.timeout).nanoseconds
        rise = o.rise ?? global.rise
        fall = o.fall ?? global.fall
        statusLow = global.statusLow
        statusHigh = global.statusHigh
        passive5xx = global.passive5xx
    }
}

/// One check's outcome, kept in a short history for the admin endpoint.
public struct CheckResult: Sendable, Equatable {
    public var ok: Bool
    /// Status code, or 0 when there was no response.
    public var status: Int
    public var latencyMillis: Double
    /// Why it failed (connect refused, timeout, status...).
    public var detail: String
    /// Wall-clock seconds.
    public var at: Int
}
