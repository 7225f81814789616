/// Smooth weighted round-robin (the nginx algorithm): each pick adds every
/// weight to its current score, takes the highest, and subtracts the total from
/// it. Weights 5,1,1 give a,a,b,a,c,a,a rather than a,a,a,a,a,b,c.
///
/// One instance per event loop: no shared state, no locks. Loops start at
/// different offsets so that N loops do not all send their first request to
/// the same backend.
public struct SmoothRoundRobin: Sendable {
    private var weights: [Int]
    private var current: [Int]
    private let total: Int

    public init(weights: [Int], offset: Int = 0) {
        self.weights = weights.map { max(1, $0) }
        self.current = Array(repeating: 0, count: weights.count)
        self.total = self.weights.reduce(0, +)
        for _ in 0..<(weights.isEmpty ? 0 : offset % max(1, total)) { _ = next() }
    }

    /// The next backend index among those `eligible` says may be used, or nil.
    public mutating func next(eligible: (Int) -> Bool = { _ in true }) -> Int? {
        var best = -1
        var sum = 0
        for i in weights.indices where eligible(i) {
            current[i] += weights[i]
            sum += weights[i]
            if best < 0 || current[i] > current[best] { best = i }
        }
        guard best >= 0 else { return nil }
        current[best] -= sum
        return best
    }
}
