/// Backend response time in fixed buckets (milliseconds, upper bounds).
public struct LatencyHistogram: Sendable {
    public static let boundsMillis: [Double] = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]
    /// One more than the bounds: the last is +Inf.
    public private(set) var counts = [Int](repeating: 0, count: boundsMillis.count + 1)
    public private(set) var sumNanos: UInt64 = 0

    public init() {}

    public mutating func record(nanos: UInt64) {
        let ms = Double(nanos) / 1_000_000
        var i = 0
        while i < Self.boundsMillis.count && ms > Self.boundsMillis[i] { i += 1 }
        counts[i] += 1
        sumNanos &+= nanos
    }

    public mutating func add(_ other: LatencyHistogram) {
        for i in counts.indices { counts[i] += other.counts[i] }
        sumNanos &+= other.sumNanos
    }

    /// The upper bound of the bucket holding quantile `q` (0...1), in ms.
    public func quantile(_ q: Double) -> Double? {
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
