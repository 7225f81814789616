/// An address block (`10.0.0.0/8`, `2001:db8::/32`, or one address): the
/// sources a listener takes PROXY headers from, the hops whose
/// `X-Forwarded-For` is believed.
public struct Network: Hashable, Sendable {
    /// The block's first address (host bits cleared).
    public let base: IPAddress
    /// Prefix length over the 128-bit form (an IPv4 `/8` is `/104`).
    public let bits: Int
    /// As written (for messages and docs).
    public let text: String

    /// Parses `ADDRESS` or `ADDRESS/PREFIX`; nil with the reason when it is not one.
    public static func parse(_ text: String) -> Result<Network, NetworkSyntaxError> {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else {
            return .failure(.init(text: text, reason: "\"\(parts[0])\" is not an IPv4 or IPv6 address"))
        }
        let width = address.isV4 ? 32 : 128
        var prefix = width
        if parts.count == 2 {
            guard let n = Int(parts[1]), parts[1].allSatisfy(\.isASCII), (0...width).contains(n), parts[1].first != "+" else {
                return .failure(.init(text: text, reason: "prefix \"\(parts[1])\" is not 0–\(width)"))
            }
            prefix = n
        }
        let bits = prefix + (128 - width)
        let base = Network.masked(address, bits)
        guard base == address else {
            return .failure(.init(text: text, reason: "host bits are set (the network is \(base)/\(prefix))"))
        }
        return .success(Network(base: base, bits: bits, text: text))
    }

    private init(base: IPAddress, bits: Int, text: String) {
        self.base = base
        self.bits = bits
        self.text = text
    }

    @inline(__always)
    public func contains(_ address: IPAddress) -> Bool {
        Network.masked(address, bits) == base
    }

    @inline(__always)
    static func masked(_ a: IPAddress, _ bits: Int) -> IPAddress {
        let highMask: UInt64 = bits >= 64 ? ~0 : (bits == 0 ? 0 : ~0 << UInt64(64 - bits))
        let lowMask: UInt64 = bits <= 64 ? 0 : (bits == 128 ? ~0 : ~0 << UInt64(128 - bits))
        return IPAddress(high: a.high & highMask, low: a.low & lowMask)
    }
}

public struct NetworkSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    public var text: String
    public var reason: String
    public var description: String { "\"\(text)\": \(reason)" }
}

extension Array where Element == Network {
    /// Whether any block holds `address` (an empty list holds nothing).
    @inline(__always)
    public func containsAddress(_ address: IPAddress) -> Bool {
        for n in self where n.contains(address) { return true }
        return false
    }

    /// A comma-separated list (`10.0.0.0/8,::1`); the first bad entry's reason.
    public static func parseList(_ text: String) -> Result<[Network], NetworkSyntaxError> {
        var out: [Network] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            switch Network.parse(String(part)) {
            case .success(let n): out.append(n)
            case .failure(let e): return .failure(e)
            }
        }
        return .success(out)
    }
}
