/// SipHash-2-4 (Aumasson & Bernstein): a keyed pseudo-random function. Keyed
/// with the configured `hash_secret`, it makes session placement
/// unpredictable to clients, who therefore cannot craft cookie values that
/// all land on one backend, and identical in every replica with the same
/// secret, with no shared state.
public struct SipHash24: Sendable, Equatable {
    public let k0: UInt64
    public let k1: UInt64

    public init(k0: UInt64, k1: UInt64) {
        self.k0 = k0
        self.k1 = k1
    }

    /// Derives the 128-bit key from a secret of any length: SipHash of the
    /// secret under two fixed keys. Deterministic, so replicas agree.
    public init(secret: some Sequence<UInt8>) {
        let bytes = Array(secret)
        let a = SipHash24(k0: 0x736f_6d65_7073_6575, k1: 0x646f_7261_6e64_6f6d).hash(bytes)
        let b = SipHash24(k0: 0x6c79_6765_6e65_7261, k1: 0x7465_6462_7974_6573).hash(bytes)
        self.init(k0: a, k1: b)
    }

    public func hash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBufferPointer { hash($0) }
    }

    /// The hash of two words as 16 little-endian bytes (a PRF of a counter).
    public func hash(_ a: UInt64, _ b: UInt64) -> UInt64 {
        withUnsafeBytes(of: (a.littleEndian, b.littleEndian)) { raw in
            hash(UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: 16))
        }
    }

    public func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var v0: UInt64 = 0x736f_6d65_7073_6575 ^ k0
        var v1: UInt64 = 0x646f_7261_6e64_6f6d ^ k1
        var v2: UInt64 = 0x6c79_6765_6e65_7261 ^ k0
        var v3: UInt64 = 0x7465_6462_7974_6573 ^ k1

        @inline(__always) func round() {
            v0 &+= v1; v1 = (v1 << 13) | (v1 >> 51); v1 ^= v0; v0 = (v0 << 32) | (v0 >> 32)
            v2 &+= v3; v3 = (v3 << 16) | (v3 >> 48); v3 ^= v2
            v0 &+= v3; v3 = (v3 << 21) | (v3 >> 43); v3 ^= v0
            v2 &+= v1; v1 = (v1 << 17) | (v1 >> 47); v1 ^= v2; v2 = (v2 << 32) | (v2 >> 32)
        }

        let count = bytes.count
        let blocks = count / 8
        for b in 0..<blocks {
            var m: UInt64 = 0
            for i in 0..<8 { m |= UInt64(bytes[b * 8 + i]) << (8 * UInt64(i)) }
            v3 ^= m
            round(); round()
            v0 ^= m
        }
        var last = UInt64(truncatingIfNeeded: count) << 56
        for i in 0..<(count & 7) { last |= UInt64(bytes[blocks * 8 + i]) << (8 * UInt64(i)) }
        v3 ^= last
        round(); round()
        v0 ^= last
        v2 ^= 0xff
        round(); round(); round(); round()
        return v0 ^ v1 ^ v2 ^ v3
    }
}
