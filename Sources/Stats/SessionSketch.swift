import Glibc

/// Sessions currently pinned to a backend, estimated: a HyperLogLog of the
/// session-key hashes seen in the last 5 to 10 minutes (two windows). Cheap
/// on the data path (one byte compare per request), mergeable across loops.
public struct SessionSketch: Sendable {
    public static let bits = 10
    public static let window: UInt64 = 300_000_000_000  // 5 minutes
    private(set) var current = [UInt8](repeating: 0, count: 1 << bits)
    private(set) var previous = [UInt8](repeating: 0, count: 1 << bits)
    private var windowStart: UInt64 = 0

    public init() {}

    public mutating func add(_ hash: UInt64, now: UInt64) {
        if now &- windowStart > Self.window {
            previous = current
            current = [UInt8](repeating: 0, count: 1 << Self.bits)
            windowStart = now
        }
        let index = Int(hash >> UInt64(64 - Self.bits))
        let rank = UInt8(min(64 - Self.bits, (hash << UInt64(Self.bits)).leadingZeroBitCount) + 1)
        if rank > current[index] { current[index] = rank }
    }

    /// Takes `other`'s registers (both windows) into this sketch's current
    /// window, for adding up the loops: the result is read with `estimate`.
    public mutating func merge(_ other: SessionSketch) {
        for i in current.indices { current[i] = max(current[i], other.current[i], other.previous[i]) }
    }

    /// Sessions seen in the last 5 to 10 minutes, estimated.
    public var estimate: Int {
        var registers = current
        for i in registers.indices { registers[i] = max(registers[i], previous[i]) }
        return Self.estimate(registers)
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
