import Glibc

/// An IPv4 or IPv6 address as 128 bits, IPv4 held as IPv4-mapped IPv6
/// (`::ffff:a.b.c.d`), so one comparison serves both families and a
/// dual-stack socket's mapped peer matches an IPv4 network.
public struct IPAddress: Hashable, Sendable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// An IPv4 address from its four bytes in network order.
    public init(v4 a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        high = 0
        low = 0xFFFF_0000_0000 | UInt64(a) << 24 | UInt64(b) << 16 | UInt64(c) << 8 | UInt64(d)
    }

    /// An address from 4 (IPv4) or 16 (IPv6) bytes in network order.
    public init?(bytes: UnsafeBufferPointer<UInt8>) {
        switch bytes.count {
        case 4:
            self.init(v4: bytes[0], bytes[1], bytes[2], bytes[3])
        case 16:
            var h: UInt64 = 0, l: UInt64 = 0
            for i in 0..<8 { h = h << 8 | UInt64(bytes[i]) }
            for i in 8..<16 { l = l << 8 | UInt64(bytes[i]) }
            self.init(high: h, low: l)
        default:
            return nil
        }
    }

    /// Parses dotted IPv4 or RFC 4291 IPv6 text (`inet_pton`'s strict forms:
    /// no leading zeros in IPv4 parts, no zone, no brackets).
    public init?(_ text: some StringProtocol) {
        var raw = [UInt8](repeating: 0, count: 16)
        let s = String(text)
        if raw.withUnsafeMutableBytes({ inet_pton(AF_INET, s, $0.baseAddress) }) == 1 {
            self.init(v4: raw[0], raw[1], raw[2], raw[3])
        } else if raw.withUnsafeMutableBytes({ inet_pton(AF_INET6, s, $0.baseAddress) }) == 1 {
            self.init(bytes: raw.withUnsafeBufferPointer { $0 })!
        } else {
            return nil
        }
    }

    public var isV4: Bool { high == 0 && low >> 32 == 0xFFFF }

    /// The text form (`inet_ntop`): dotted for IPv4 and IPv4-mapped, RFC 5952 for IPv6.
    public var text: [UInt8] {
        var out = [UInt8](repeating: 0, count: 48)
        var raw = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            raw[i] = UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64(i)))
            raw[8 + i] = UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64(i)))
        }
        let ok = out.withUnsafeMutableBufferPointer { o in
            raw.withUnsafeBytes { r in
                let dst = UnsafeMutableRawPointer(o.baseAddress!).assumingMemoryBound(to: CChar.self)
                return isV4
                    ? inet_ntop(AF_INET, r.baseAddress! + 12, dst, 48) != nil
                    : inet_ntop(AF_INET6, r.baseAddress!, dst, 48) != nil
            }
        }
        guard ok, let end = out.firstIndex(of: 0) else { return Array("unknown".utf8) }
        out.removeSubrange(end...)
        return out
    }
}

extension IPAddress: CustomStringConvertible {
    public var description: String { String(decoding: text, as: UTF8.self) }
}
