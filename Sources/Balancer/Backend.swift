/// A backend as the balancer sees it: an index into the pool, a weight.
/// Addresses and sockets belong to the proxy; balancing is pure arithmetic.
public struct Backend: Sendable, Equatable {
    public var name: String
    public var weight: Int

    public init(name: String, weight: Int = 1) {
        self.name = name
        self.weight = max(1, weight)
    }
}
