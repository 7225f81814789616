import Glibc

/// Weighted rendezvous (highest-random-weight) hashing: every backend scores a
/// key, the highest score wins, and the order of scores is the key's
/// preference list: where its session goes, and where it fails over to.
///
/// Chosen over a ring with virtual nodes and over Maglev because, for the tens
/// of backends a session-sticky pool has, it is exact where those are
/// approximate: removing a backend moves only its own keys, adding one moves
/// only the keys it wins (1/(n+1) on average), weights are honoured without
/// tuning a vnode count, and it has no table to rebuild on reload. It costs one
/// multiply-mix per backend per lookup, and a logarithm when weights differ
/// (O(n)); past a few hundred backends Maglev's O(1) table would pay off.
public struct RendezvousHash: Sendable {
    public let hasher: SipHash24
    /// Per-backend seeds: SipHash of the backend's name, so placement survives
    /// reordering the config file and depends on names, not positions.
    private let seeds: [UInt64]
    private let weights: [Double]
    /// Every weight the same: w / -ln(u) orders backends as u does, so a
    /// lookup compares the mixed bits and takes no logarithm (the common
    /// case; `log` was 0.45 % of a sticky proxy's CPU).
    private let uniform: Bool

    public init(hasher: SipHash24, backends: [Backend]) {
        self.hasher = hasher
        self.seeds = backends.map { hasher.hash(Array($0.name.utf8)) }
        self.weights = backends.map { Double(max(1, $0.weight)) }
        self.uniform = Set(weights).count <= 1
    }

    public var count: Int { seeds.count }

    /// The keyed hash of a session key; compute once per request.
    @inlinable
    public func keyHash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 { hasher.hash(key) }

    /// Score of backend `i` for a key hash: w / -ln(u), u uniform in (0, 1)
    /// (Schindelhauer & Schomaker's weighted rendezvous).
    @inline(__always)
    public func score(_ keyHash: UInt64, _ i: Int) -> Double {
        let u = (Double(bits(keyHash, i)) + 0.5) * (1.0 / 9_007_199_254_740_992.0)
        return weights[i] / -log(u)
    }

    /// The 53 bits of backend `i`'s uniform draw for a key hash.
    @inline(__always)
    private func bits(_ keyHash: UInt64, _ i: Int) -> UInt64 {
        var z = keyHash ^ seeds[i]
        // splitmix64 finaliser: the key and seed bits are mixed before use.
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        z ^= z >> 31
        return z >> 11
    }

    /// The highest-scoring backend among those `usable` accepts, or nil
    /// (among equal scores, the first).
    public func first(_ keyHash: UInt64, where usable: (Int) -> Bool) -> Int? {
        var best = -1
        if uniform {
            var bestBits: UInt64 = 0
            for i in 0..<seeds.count where usable(i) {
                let b = bits(keyHash, i)
                if best < 0 || b > bestBits {
                    bestBits = b
                    best = i
                }
            }
            return best >= 0 ? best : nil
        }
        var bestScore = -1.0
        for i in 0..<seeds.count where usable(i) {
            let s = score(keyHash, i)
            if s > bestScore {
                bestScore = s
                best = i
            }
        }
        return best >= 0 ? best : nil
    }

    /// The top choice over every backend, usable or not.
    public func top(_ keyHash: UInt64) -> Int? { first(keyHash) { _ in true } }

    /// The whole preference list (for tests and failover ordering).
    public func preference(_ keyHash: UInt64) -> [Int] {
        (0..<seeds.count).sorted { score(keyHash, $0) > score(keyHash, $1) }
    }
}
