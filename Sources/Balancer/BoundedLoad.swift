/// The bound of "Consistent Hashing with Bounded Loads" (Mirrokni, Thorup,
/// Zadimoghaddam): a backend may take one more unit of load only while its load
/// stays within ceil((1 + ε) × average), the average counting the new unit.
///
/// Tether applies it when a *new* session is placed, never to a request of an
/// existing session (moving a live session to respect a bound loses it).
public struct BoundedLoad: Sendable, Equatable {
    public var epsilon: Double

    public init(epsilon: Double) {
        self.epsilon = epsilon
    }

    /// The most load any backend may carry once one more unit is placed.
    public func capacity(totalLoad: Int, backends: Int) -> Int {
        guard backends > 0 else { return 0 }
        let average = Double(totalLoad + 1) / Double(backends)
        return Int(((1 + epsilon) * average).rounded(.up))
    }

    /// Whether a backend carrying `load` may take one more unit.
    public func allows(load: Int, totalLoad: Int, backends: Int) -> Bool {
        load + 1 <= capacity(totalLoad: totalLoad, backends: backends)
    }
}
