import Config

/// A backend's effective check settings: the global `health_check` with the
/// backend's overrides applied, in loop units.
public struct HealthCheckSettings: Equatable, Sendable {
    public var enabled: Bool
    public var path: String
    public var host: String
    public var interval: UInt64
    public var timeout: UInt64
    public var rise: Int
    public var fall: Int
    public var statusLow: Int
    public var statusHigh: Int
    public var passive5xx: Bool

    public init(global: HealthCheckConfig, backend: BackendConfig) {
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
