/// `log_level`: the least severe event line written.
public enum LogLevel: String, Sendable, Equatable, CaseIterable {
    case debug, info, warning, error

    public var rank: Int {
        switch self {
        case .debug: return 0
        case .info: return 1
        case .warning: return 2
        case .error: return 3
        }
    }
}

/// `log_format`: event lines as text, or one JSON object each.
public enum LogFormat: String, Sendable, Equatable, CaseIterable {
    case text, json
}
