/// One row of the stats table: a number or fact Tether reports, with where
/// it appears. `/stats`, `/metrics`, `tether stats`, the dashboard's plain
/// columns and the tables in docs/ADMIN.md are all produced from these rows,
/// so a counter is named and explained once.
public struct StatsField<Subject>: Sendable {
    public enum Kind: String, Sendable {
        case counter, gauge
        /// Not a number over time: a name, a state, a setting.
        case info
        case histogram
    }

    /// Where it sits in `/stats` (under its subject's object); nil: not there.
    public let path: [String]?
    /// The Prometheus family it is a sample of; nil: not in `/metrics`.
    public let metric: String?
    /// The sample's labels: the subject's own (`backend`, `listener`) and the field's.
    public let labels: @Sendable (Subject) -> [Label]
    public let kind: Kind
    public let help: String
    /// Its heading in `tether stats` and on the dashboard; nil: not a column.
    public let column: String?
    /// The value in `/stats` (and the sample in `/metrics`, unless `sample` says otherwise).
    public let value: @Sendable (Subject) -> StatsValue
    /// The family's HELP in `/metrics` when `help` speaks of this field alone
    /// (one of several samples of the family).
    public private(set) var familyHelp: String? = nil
    /// Marks where a nested table's subjects go (`/stats` nests them as an
    /// array under `path`; `/metrics` writes their families there).
    public private(set) var rows: StatsRows? = nil
    /// The `/metrics` sample when it is not the `/stats` value (a state
    /// written as text in one and as 0/1 in the other).
    public private(set) var sample: (@Sendable (Subject) -> StatsValue)? = nil

    public struct Label: Sendable {
        public let name: String
        public let value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(
        _ path: [String]?, metric: String? = nil, labels: @escaping @Sendable (Subject) -> [Label] = { _ in [] },
        _ kind: Kind, column: String? = nil, _ help: String, _ value: @escaping @Sendable (Subject) -> StatsValue
    ) {
        self.path = path
        self.metric = metric
        self.labels = labels
        self.kind = kind
        self.help = help
        self.column = column
        self.value = value
    }

    /// A nested table's place in this one.
    public static func rows(_ path: [String], _ rows: StatsRows, _ help: String) -> Self {
        var f = Self(path, .info, help) { _ in .absent }
        f.rows = rows
        return f
    }

    /// The same field, sampled for `/metrics` by `f`.
    public func sampled(_ f: @escaping @Sendable (Subject) -> StatsValue) -> Self {
        var copy = self
        copy.sample = f
        return copy
    }

    /// The same field, its `/metrics` family explained by `text`.
    public func family(_ text: String) -> Self {
        var copy = self
        copy.familyHelp = text
        return copy
    }

    /// The `/metrics` sample for `subject` (nil: none).
    public func metricSample(_ subject: Subject) -> Double? {
        (sample ?? value)(subject).sample
    }

    /// The `/stats` path as the docs and the dashboard write it (`sessions.new`).
    public var dottedPath: String? { path?.joined(separator: ".") }
}

/// A field's value for one subject.
public enum StatsValue: Sendable {
    case int(Int)
    case number(Double?)
    case text(String?)
    case flag(Bool)
    /// Not reported for this subject (a TLS counter of a plain listener).
    case absent
    /// A backend's last health check, and its recent ones.
    case check(CheckResult?)
    case checks([CheckResult])
    case histogram(LatencyHistogram)

    /// The sample `/metrics` writes (nil: none).
    var sample: Double? {
        switch self {
        case .int(let v): return Double(v)
        case .number(let v): return v
        case .flag(let v): return v ? 1 : 0
        default: return nil
        }
    }
}

/// The tables nested in the global one.
public enum StatsRows: Sendable {
    case listeners, backends
}
