import Testing
@testable import Routing

@Suite struct SealOffersTests {
    /// What `offer` answers for each (key, wall second), in turn, on one table.
    func offers(_ calls: [(key: UInt64, now: UInt32)]) -> [Bool] {
        var o = SealOffers()
        return calls.map { o.offer($0.key, now: $0.now) }
    }

    /// Offered, not again within the interval, another session offered its
    /// own, and the first again once the interval passed (it did not keep it).
    @Test func aSessionIsOfferedTheSealOnceAnInterval() {
        let i = SealOffers.interval
        #expect(offers([(0xABC, 1000), (0xABC, 1000), (0xABC, 1000 + i - 1), (0xDEF, 1001), (0xABC, 1000 + i)])
            == [true, false, false, true, true])
    }

    /// Two keys in one slot: each displaces the other, so both are offered
    /// more often, never less.
    @Test func aCollisionOnlyMeansAnotherOffer() {
        let a: UInt64 = 5, b = a + UInt64(SealOffers.slots)
        #expect(offers([(a, 10), (b, 10), (a, 10)]) == [true, true, true])
    }

    /// The wall clock may read 0 (a test's view): still remembered.
    @Test func timeZeroStillCounts() {
        #expect(offers([(7, 0), (7, 0)]) == [true, false])
    }
}
