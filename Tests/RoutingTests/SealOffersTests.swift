import Testing
@testable import Routing

@Suite struct SealOffersTests {
    @Test func aSessionIsOfferedTheSealOnceAnInterval() {
        var o = SealOffers()
        let r1 = o.offer(0xABC, now: 1000)
        #expect(r1)
        let r2 = o.offer(0xABC, now: 1000)
        #expect(!r2)
        let r3 = o.offer(0xABC, now: 1000 + SealOffers.interval - 1)
        #expect(!r3)
        let r4 = o.offer(0xDEF, now: 1001)
        #expect(r4, "another session")
        let r5 = o.offer(0xABC, now: 1000 + SealOffers.interval)
        #expect(r5, "again after the interval: it did not keep it")
    }

    /// Two keys in one slot: each displaces the other, so both are offered
    /// more often, never less.
    @Test func aCollisionOnlyMeansAnotherOffer() {
        var o = SealOffers()
        let a: UInt64 = 5, b: UInt64 = 5 + UInt64(SealOffers.slots)
        let r6 = o.offer(a, now: 10)
        #expect(r6)
        let r7 = o.offer(b, now: 10)
        #expect(r7)
        let r8 = o.offer(a, now: 10)
        #expect(r8)
    }

    /// The wall clock may read 0 (a test's view): still remembered.
    @Test func timeZeroStillCounts() {
        var o = SealOffers()
        let r9 = o.offer(7, now: 0)
        #expect(r9)
        let r10 = o.offer(7, now: 0)
        #expect(!r10)
    }
}
