import Balancer
import Testing

@Suite struct SmoothRoundRobinTests {
    @Test func equalWeightsAlternate() {
        var rr = SmoothRoundRobin(weights: [1, 1, 1])
        let picks = (0..<6).compactMap { _ in rr.next() }
        #expect(picks == [0, 1, 2, 0, 1, 2])
    }

    @Test func weightsAreInterleaved() {
        var rr = SmoothRoundRobin(weights: [5, 1, 1])
        let picks = (0..<7).compactMap { _ in rr.next() }
        #expect(picks == [0, 0, 1, 0, 2, 0, 0])
    }

    @Test func ineligibleBackendsAreSkipped() {
        var rr = SmoothRoundRobin(weights: [1, 1, 1])
        let picks = (0..<4).compactMap { _ in rr.next(eligible: { $0 != 1 }) }
        #expect(picks == [0, 2, 0, 2])
    }

    @Test func noEligibleBackendGivesNil() {
        var rr = SmoothRoundRobin(weights: [1, 1])
        #expect(rr.next(eligible: { _ in false }) == nil)
    }

    @Test func offsetsSpreadLoops() {
        var a = SmoothRoundRobin(weights: [1, 1, 1], offset: 0)
        var b = SmoothRoundRobin(weights: [1, 1, 1], offset: 1)
        #expect(a.next() != b.next())
    }
}
