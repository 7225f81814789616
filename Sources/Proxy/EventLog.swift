import Config
import Glibc
import Stats
import Synchronization

/// Tether's operational lines (start-up, reloads, health, the store,
/// graceful stops, errors Tether answered itself), on stderr: each one
/// stamped to the millisecond, with a level the operator filters on
/// (`log_level`), as text for people or JSON for machines (`log_format`).
/// The access log is another thing (`AccessLogWriter`).
///
/// Written with one `write(2)` per line, which keeps lines whole between
/// threads; never on the data path's hot loop (the loops' own lines pass
/// an `EventBudget` first).
public final class EventLog: Sendable {
    /// The level and format change with a reload.
    private let settings: Atomic<UInt8>
    private let fd: Int32

    public init(level: LogLevel = .info, format: LogFormat = .text, fd: Int32 = STDERR_FILENO) {
        self.fd = fd
        settings = Atomic(Self.pack(level, format))
    }

    /// A log that writes nothing (tests, tools).
    public static let discard = EventLog(level: .error, format: .text, fd: -1)

    public func configure(_ c: ProxyConfig) {
        settings.store(Self.pack(c.logLevel, c.logFormat), ordering: .relaxed)
    }

    public func wants(_ level: LogLevel) -> Bool {
        let s = settings.load(ordering: .relaxed)
        return level.rank >= Int(s & 0xF)
    }

    /// `event`: what kind of line it is (`startup`, `reload`, `health`,
    /// `store`, `stop`, `request`, `admin`, `accept`), a field of its own
    /// in JSON and a filter key for log tools.
    public func callAsFunction(_ level: LogLevel, _ event: StaticString, _ message: @autoclosure () -> String) {
        guard wants(level) else { return }
        write(level, event, message())
    }

    /// Start-up lines, written whatever `log_level` says: they are what
    /// tells the operator (and scripts waiting for "listening on port")
    /// that the process runs, and what.
    public func announce(_ message: String) {
        write(.info, "startup", message)
    }

    private func write(_ level: LogLevel, _ event: StaticString, _ text: String) {
        guard fd >= 0 else { return }
        let json = settings.load(ordering: .relaxed) >> 4 == 1
        var line: [UInt8] = []
        line.reserveCapacity(160)
        var stamp: [UInt8] = []
        UTCStamp.appendNow(into: &stamp)
        if json {
            line.append(contentsOf: #"{"time":""#.utf8)
            line.append(contentsOf: stamp)
            line.append(contentsOf: #"","level":""#.utf8)
            line.append(contentsOf: level.rawValue.utf8)
            line.append(contentsOf: #"","event":""#.utf8)
            line.append(contentsOf: UnsafeBufferPointer(start: event.utf8Start, count: event.utf8CodeUnitCount))
            line.append(contentsOf: #"","message":"#.utf8)
            line.append(contentsOf: JSONWriter.quote(text).utf8)
            line.append(0x7D)
        } else {
            line.append(contentsOf: "tether: [".utf8)
            line.append(contentsOf: stamp)
            line.append(contentsOf: "] ".utf8)
            if level != .info { line.append(contentsOf: "\(level.rawValue): ".utf8) }
            line.append(contentsOf: text.utf8)
        }
        line.append(0x0A)
        _ = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }

    private static func pack(_ level: LogLevel, _ format: LogFormat) -> UInt8 {
        UInt8(level.rank) | (format == .json ? 0x10 : 0)
    }
}
