import Glibc

/// Counters one event loop keeps, with no lock and no sharing: the admin
/// endpoint asks every loop for a copy and adds them up.
struct LoopStats {
    var connectionsTotal = 0
    var requests = 0
    /// Requests Tether answered itself before routing (400, 408, 413, 414, 431, 501...).
    var rejected: [Int: Int] = [:]
    var perListener: [String: ListenerCounters] = [:]
}

struct ListenerCounters: Sendable {
    var current = 0
    var total = 0
    /// TLS listeners: handshakes finished, of which resumed from a ticket, and
    /// handshakes that failed or timed out.
    var tlsHandshakes = 0
    var tlsResumed = 0
    var tlsFailed = 0
}

/// Routing and traffic counters of one backend on one loop.
struct BackendLoopStats {
    var requests = 0
    /// Responses by class: index 0 = 1xx … 4 = 5xx.
    var responses = [Int](repeating: 0, count: 5)
    /// Request bytes sent to the backend (head and body).
    var bytesIn = 0
    /// Response bytes sent to clients (body).
    var bytesOut = 0
    var retries = 0
    var newSessions = 0
    var stickyHits = 0
    var routeHits = 0
    /// Requests whose session had to leave this backend (down or refused).
    var failoversAway = 0
    /// Sessions that arrived here by failover and were re-created.
    var recreated = 0
    /// Requests refused with 503 at `max_conns`: queue full or `queue_timeout`.
    var queueRejected = 0
    var latency = LatencyHistogram()
    var pinned = SessionSketch()
}

/// Backend response time in fixed buckets (milliseconds, upper bounds).
struct LatencyHistogram: Sendable {
    static let boundsMillis: [Double] = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]
    /// One more than the bounds: the last is +Inf.
    var counts = [Int](repeating: 0, count: boundsMillis.count + 1)
    var sumNanos: UInt64 = 0

    mutating func record(nanos: UInt64) {
        let ms = Double(nanos) / 1_000_000
        var i = 0
        while i < Self.boundsMillis.count && ms > Self.boundsMillis[i] { i += 1 }
        counts[i] += 1
        sumNanos &+= nanos
    }

    mutating func add(_ other: LatencyHistogram) {
        for i in counts.indices { counts[i] += other.counts[i] }
        sumNanos &+= other.sumNanos
    }

    /// The upper bound of the bucket holding quantile `q` (0...1), in ms.
    func quantile(_ q: Double) -> Double? {
        let total = counts.reduce(0, +)
        guard total > 0 else { return nil }
        let rank = Int((q * Double(total)).rounded(.up))
        var seen = 0
        for (i, c) in counts.enumerated() {
            seen += c
            if seen >= max(1, rank) { return i < Self.boundsMillis.count ? Self.boundsMillis[i] : .infinity }
        }
        return .infinity
    }
}

/// Sessions currently pinned to a backend, estimated: a HyperLogLog of the
/// session-key hashes seen in the last 5 to 10 minutes (two windows). Cheap
/// on the data path (one byte compare per request), mergeable across loops.
struct SessionSketch: Sendable {
    static let bits = 10
    static let window: UInt64 = 300_000_000_000  // 5 minutes
    var current = [UInt8](repeating: 0, count: 1 << bits)
    var previous = [UInt8](repeating: 0, count: 1 << bits)
    var windowStart: UInt64 = 0

    mutating func add(_ hash: UInt64, now: UInt64) {
        if now &- windowStart > Self.window {
            previous = current
            current = [UInt8](repeating: 0, count: 1 << Self.bits)
            windowStart = now
        }
        let index = Int(hash >> UInt64(64 - Self.bits))
        let rank = UInt8(min(64 - Self.bits, (hash << UInt64(Self.bits)).leadingZeroBitCount) + 1)
        if rank > current[index] { current[index] = rank }
    }

    /// Register-wise maximum over both windows, merged into `into`.
    func merge(into registers: inout [UInt8]) {
        for i in registers.indices { registers[i] = max(registers[i], current[i], previous[i]) }
    }

    static func estimate(_ registers: [UInt8]) -> Int {
        let m = Double(registers.count)
        var sum = 0.0
        var zeros = 0
        for r in registers {
            sum += 1 / Double(UInt64(1) << UInt64(r))
            if r == 0 { zeros += 1 }
        }
        let alpha = 0.7213 / (1 + 1.079 / m)
        let raw = alpha * m * m / sum
        if raw <= 2.5 * m && zeros > 0 { return Int((m * log(m / Double(zeros))).rounded()) }  // linear counting
        return Int(raw.rounded())
    }
}
