/// The header as it arrives over several reads, for a stage that must not
/// take a byte past it off the socket: offer it what a peek saw, consume
/// off the socket exactly the `take` it answers, and look at the result.
public struct ProxyHeaderAccumulator: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// Bytes the next peek may usefully look at.
    public var peekLimit: Int { ProxyHeaderParser.maxLength + 1 - bytes.count }

    /// `peeked`: what the socket holds past the bytes already taken.
    /// Returns how many of them to take (consume) and what the header is now.
    public mutating func offer(_ peeked: UnsafeBufferPointer<UInt8>) -> (take: Int, result: ProxyHeaderParser.Result) {
        let before = bytes.count
        bytes.append(contentsOf: peeked)
        let belong = bytes.withUnsafeBufferPointer { ProxyHeaderParser.headerBytes($0) }
        bytes.removeSubrange(belong...)
        let result = bytes.withUnsafeBufferPointer { ProxyHeaderParser.parse($0) }
        if case .incomplete = result, bytes.count > ProxyHeaderParser.maxLength { return (belong - before, .invalid(.oversized)) }
        return (belong - before, result)
    }
}
