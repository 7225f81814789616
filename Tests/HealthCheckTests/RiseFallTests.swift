import Testing

@testable import Health

/// The rise/fall rule, without sockets (HealthMonitor drives it from real checks).
@Suite struct RiseFallTests {
    /// Feeds `results` ('+' passed, '-' failed) and returns the changes, in order.
    static func run(_ results: String, rise: Int = 2, fall: Int = 3, from start: RiseFall = RiseFall()) -> ([RiseFall.Change], RiseFall) {
        var state = start
        var changes: [RiseFall.Change] = []
        for c in results {
            let change = state.record(ok: c == "+", rise: rise, fall: fall)
            if change != .none { changes.append(change) }
        }
        return (changes, state)
    }

    @Test func startsUpAndFallsAfterFallFailuresInARow() {
        #expect(RiseFall().up)
        #expect(Self.run("--").0 == [])
        #expect(Self.run("---").0 == [.down(3)])
        #expect(Self.run("------").0 == [.down(3)], "down once, not again")
    }

    @Test func aPassBetweenFailuresStartsTheCountAgain() {
        let (changes, state) = Self.run("--+--+--")
        #expect(changes == [])
        #expect(state.up)
        #expect(state.failures == 2)
    }

    @Test func risesAfterRisePassesInARow() {
        let (changes, state) = Self.run("---+-++")
        #expect(changes == [.down(3), .up(2)])
        #expect(state.up && state.successes == 2)
    }

    @Test func flappingNeverChangesStateWithRiseAndFallAboveOne() {
        #expect(Self.run("+-+-+-+-+-", rise: 2, fall: 2).0 == [])
    }

    @Test func riseAndFallOfOneFollowEveryResult() {
        #expect(Self.run("-+-+", rise: 1, fall: 1).0 == [.down(1), .up(1), .down(1), .up(1)])
    }

    @Test func passiveDownNeedsRisePassesToComeBack() {
        var state = RiseFall()
        #expect(state.forceDown(fall: 3) == true, "it was up: a change")
        #expect(state.forceDown(fall: 3) == false, "already down: no change")
        #expect(!state.up)
        let (changes, after) = Self.run("+-++", rise: 2, from: state)
        #expect(changes == [.up(2)])
        #expect(after.up)
    }

    @Test func forcedUpWithoutChecks() {
        var state = RiseFall()
        _ = state.forceDown(fall: 2)
        #expect(state.forceUp(rise: 2) == true)
        #expect(state.forceUp(rise: 2) == false)
        #expect(state.up)
        #expect(Self.run("--", rise: 2, fall: 2, from: state).0 == [.down(2)], "the count starts again from the top")
    }
}
