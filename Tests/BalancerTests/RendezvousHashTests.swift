import Balancer
import Testing

/// Placement quality of keyed weighted rendezvous hashing.
@Suite struct RendezvousHashTests {
    static let hasher = SipHash24(secret: Array("test-secret-0123456789".utf8))

    /// Reproducible pseudo-random 16-byte keys.
    static func keys(_ n: Int, seed: UInt64 = 42) -> [[UInt8]] {
        var s = seed
        return (0..<n).map { _ in
            (0..<2).flatMap { _ -> [UInt8] in
                s &+= 0x9e37_79b9_7f4a_7c15
                var z = s
                z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
                z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
                z ^= z >> 31
                return (0..<8).map { UInt8(truncatingIfNeeded: z >> (8 * $0)) }
            }
        }
    }

    static func backends(_ names: [String], weights: [Int]? = nil) -> [Backend] {
        names.enumerated().map { Backend(name: $0.element, weight: weights?[$0.offset] ?? 1) }
    }

    func place(_ keys: [[UInt8]], _ backends: [Backend], hasher: SipHash24 = Self.hasher) -> [String] {
        let ring = RendezvousHash(hasher: hasher, backends: backends)
        return keys.map { backends[ring.top(hasher.hash($0))!].name }
    }

    @Test func sipHashMatchesTheReferenceVectors() {
        let h = SipHash24(k0: 0x0706_0504_0302_0100, k1: 0x0f0e_0d0c_0b0a_0908)
        #expect(h.hash([]) == 0x726f_db47_dd0e_0e31)
        #expect(h.hash(Array(0..<15)) == 0xa129_ca61_49be_45e5)
        #expect(h.hash(Array(0..<8)) == 0x93f5_f579_9a93_2462)
    }

    /// Equal weights skip the logarithm: the pick must be the backend with
    /// the highest score all the same, also among a filtered subset.
    @Test func equalWeightsPickTheHighestScoreWithoutTheLogarithm() {
        let ring = RendezvousHash(hasher: Self.hasher, backends: Self.backends(["a", "b", "c", "d", "e"]))
        var differentPicks = Set<Int>()
        for key in Self.keys(20_000) {
            let h = Self.hasher.hash(key)
            for usable in [{ (_: Int) in true }, { (i: Int) in i != 2 }, { (i: Int) in i % 2 == 1 }] {
                let expected = (0..<5).filter(usable).max { ring.score(h, $0) < ring.score(h, $1) }
                #expect(ring.first(h, where: usable) == expected)
                if let e = expected { differentPicks.insert(e) }
            }
        }
        #expect(differentPicks == [0, 1, 2, 3, 4])
    }

    @Test func hundredThousandKeysSpreadEvenlyOverFive() {
        let names = ["a", "b", "c", "d", "e"]
        let placed = place(Self.keys(100_000), Self.backends(names))
        let counts = names.map { n in placed.filter { $0 == n }.count }
        let ratio = Double(counts.max()!) / Double(counts.min()!)
        #expect(ratio <= 1.10, "counts \(counts), max/min \(ratio)")
    }

    @Test func removingABackendMovesOnlyItsKeys() {
        let keys = Self.keys(100_000)
        let before = place(keys, Self.backends(["a", "b", "c", "d", "e"]))
        let after = place(keys, Self.backends(["a", "b", "d", "e"]))
        for (x, y) in zip(before, after) where x != "c" {
            #expect(x == y)
            if x != y { return }
        }
    }

    @Test func addingASixthMovesAtMostItsShare() {
        let keys = Self.keys(100_000)
        let before = place(keys, Self.backends(["a", "b", "c", "d", "e"]))
        let after = place(keys, Self.backends(["a", "b", "c", "d", "e", "f"]))
        let moved = zip(before, after).filter { $0 != $1 }
        #expect(moved.allSatisfy { $0.1 == "f" }, "keys moved between old backends")
        let share = Double(moved.count) / Double(keys.count)
        #expect(share <= 1.0 / 6.0 + 0.02, "moved \(share)")
    }

    @Test func weightsAreRespected() {
        let names = ["a", "b", "c", "d"]
        let weights = [1, 2, 3, 4]
        let placed = place(Self.keys(100_000), Self.backends(names, weights: weights))
        for (i, n) in names.enumerated() {
            let share = Double(placed.filter { $0 == n }.count) / 100_000
            let expected = Double(weights[i]) / 10
            #expect(abs(share - expected) / expected <= 0.05, "\(n): \(share) vs \(expected)")
        }
    }

    @Test func differentSecretGivesDifferentMapping() {
        let keys = Self.keys(1000)
        let names = Self.backends(["a", "b", "c"])
        let one = place(keys, names)
        let other = place(keys, names, hasher: SipHash24(secret: Array("another-secret-0123456789".utf8)))
        let same = zip(one, other).filter { $0 == $1 }.count
        #expect(same < 450, "\(same) of 1000 keys kept their backend: the secret barely matters")
    }

    @Test func sameSecretGivesSameMappingInAnotherInstance() {
        let keys = Self.keys(1000)
        let names = Self.backends(["a", "b", "c"])
        let one = place(keys, names, hasher: SipHash24(secret: Array("shared-secret-0123456789".utf8)))
        let two = place(keys, names, hasher: SipHash24(secret: Array("shared-secret-0123456789".utf8)))
        #expect(one == two)
    }

    @Test func configOrderDoesNotMatter() {
        let keys = Self.keys(1000)
        let one = place(keys, Self.backends(["a", "b", "c"]))
        let two = place(keys, Self.backends(["c", "a", "b"]))
        #expect(one == two)
    }

    @Test func firstSkipsUnusableBackends() {
        let ring = RendezvousHash(hasher: Self.hasher, backends: Self.backends(["a", "b", "c"]))
        let h = Self.hasher.hash(Array("k".utf8))
        let pref = ring.preference(h)
        #expect(ring.first(h) { $0 != pref[0] } == pref[1])
        #expect(ring.first(h) { _ in false } == nil)
    }
}

@Suite struct BoundedLoadTests {
    /// Sessions arrive and leave at random; each new one goes to the first
    /// backend in its preference list that the bound allows. Live sessions are
    /// never moved (that would lose them), so the bound is a promise about
    /// placement: every new session lands on a backend that stays within
    /// ceil(1.25 × average) with it. Departures can later lower the average
    /// under a backend's load; new sessions then go elsewhere until it evens out.
    @Test func noBackendExceedsTheBoundUnderChurn() {
        let bound = BoundedLoad(epsilon: 0.25)
        let backends = ["a", "b", "c", "d", "e"].map { Backend(name: $0) }
        let hasher = SipHash24(secret: Array("bounded-0123456789".utf8))
        let ring = RendezvousHash(hasher: hasher, backends: backends)
        var loads = [Int](repeating: 0, count: 5)
        var live: [Int] = []  // backend of each live session
        var rng = SplitMix(seed: 7)
        for step in 0..<50_000 {
            let arrive = live.count < 50 || rng.next() % 100 < 52
            if arrive {
                let key = withUnsafeBytes(of: rng.next()) { Array($0) }
                let total = loads.reduce(0, +)
                let pick = ring.first(hasher.hash(key)) { bound.allows(load: loads[$0], totalLoad: total, backends: 5) }!
                loads[pick] += 1
                live.append(pick)
                let newTotal = total + 1
                let limit = Int((1.25 * Double(newTotal) / 5).rounded(.up))
                #expect(loads[pick] <= limit, "step \(step): placed on a backend at \(loads[pick]) over \(limit)")
                if loads[pick] > limit { return }
            } else {
                let i = Int(rng.next() % UInt64(live.count))
                loads[live[i]] -= 1
                live.swapAt(i, live.count - 1)
                live.removeLast()
            }
        }
        #expect(live.count > 50)
    }

    @Test func capacityFollowsTheAverage() {
        let b = BoundedLoad(epsilon: 0.25)
        #expect(b.capacity(totalLoad: 99, backends: 4) == 32)  // ceil(1.25 * 25)
        #expect(b.allows(load: 31, totalLoad: 99, backends: 4))
        #expect(!b.allows(load: 32, totalLoad: 99, backends: 4))
    }
}

@Suite struct LeastConnectionsTests {
    @Test func picksTheLeastLoaded() {
        var lc = LeastConnections()
        let loads = [3, 1, 2]
        #expect(lc.next(count: 3, load: { loads[$0] }, weight: { _ in 1 }, eligible: { _ in true }) == 1)
    }

    @Test func rotatesOnTies() {
        var lc = LeastConnections()
        let picks = (0..<3).compactMap { _ in lc.next(count: 3, load: { _ in 0 }, weight: { _ in 1 }, eligible: { _ in true }) }
        #expect(picks == [0, 1, 2])
    }

    @Test func weightScalesLoad() {
        var lc = LeastConnections()
        let loads = [2, 3]
        #expect(lc.next(count: 2, load: { loads[$0] }, weight: { [1, 2][$0] }, eligible: { _ in true }) == 1)
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
