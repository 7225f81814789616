/// Least-connections: the eligible backend with the fewest requests in flight
/// relative to its weight. Ties go to the next backend after the last pick, so
/// an idle pool still rotates instead of always choosing the first backend.
public struct LeastConnections: Sendable {
    private var last = -1

    public init(offset: Int = 0) {
        last = offset - 1
    }

    public mutating func next(count: Int, load: (Int) -> Int, weight: (Int) -> Int, eligible: (Int) -> Bool) -> Int? {
        guard count > 0 else { return nil }
        var best = -1
        var bestLoad = 0.0
        for step in 1...count {
            let i = (last + step) % count
            guard eligible(i) else { continue }
            let l = Double(load(i)) / Double(max(1, weight(i)))
            if best < 0 || l < bestLoad {
                best = i
                bestLoad = l
            }
        }
        guard best >= 0 else { return nil }
        last = best
        return best
    }
}
