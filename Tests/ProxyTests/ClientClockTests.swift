import Testing

@testable import Proxy

/// The client connection's one deadline, without a loop.
@Suite struct ClientClockTests {
    struct Timeouts: ClientTimeouts {
        var idle: UInt64 = 60_000
        func timeout(_ kind: ClientDeadline) -> UInt64 {
            switch kind {
            case .header: return 10_000
            case .idle: return idle
            case .body: return 20_000
            case .send: return 30_000
            case .queue: return 40_000
            case .tlsIdle: return 1_000_000_000
            case .expect: return 1_000
            }
        }
    }

    @Test func eachKindGivesItsOwnTimeout() {
        var clock = ClientClock()
        #expect(clock.deadline(for: .body, now: 100, Timeouts(), tls: false, requestDeadline: 0) == 20_100)
        #expect(clock.waitingFor == .body)
        #expect(clock.deadline(for: .expect, now: 100, Timeouts(), tls: false, requestDeadline: 0) == 1_100)
        #expect(clock.expired(now: 1_100, requestDeadline: 0) == .waited(.expect))
    }

    @Test func theRequestsOwnLimitComesFirst() {
        var clock = ClientClock()
        #expect(clock.deadline(for: .body, now: 100, Timeouts(), tls: false, requestDeadline: 5_000) == 5_000)
        #expect(clock.deadline(for: nil, now: 100, Timeouts(), tls: false, requestDeadline: 5_000) == 5_000, "between kinds: only the request's limit")
        #expect(clock.deadline(for: nil, now: 100, Timeouts(), tls: false, requestDeadline: 0) == 0, "and none without one")
        #expect(clock.expired(now: 5_000, requestDeadline: 5_000) == .request)
    }

    @Test func anIdleTLSConnectionLetsOpenSSLsBuffersGoAfterASecond() {
        var clock = ClientClock()
        let t = Timeouts(idle: 60_000_000_000)
        #expect(clock.deadline(for: .idle, now: 7, t, tls: true, requestDeadline: 0) == 1_000_000_007)
        #expect(clock.waitingFor == .tlsIdle)
        #expect(clock.expired(now: 1_000_000_007, requestDeadline: 0) == .tlsIdleUntil(60_000_000_007))
        #expect(clock.waitingFor == .idle)
        #expect(clock.expired(now: 60_000_000_007, requestDeadline: 0) == .waited(.idle))
    }

    @Test func aShortIdleTimeoutOrAPlainConnectionIdlesPlainly() {
        var clock = ClientClock()
        #expect(clock.deadline(for: .idle, now: 0, Timeouts(idle: 500_000_000), tls: true, requestDeadline: 0) == 500_000_000)
        #expect(clock.waitingFor == .idle)
        #expect(clock.deadline(for: .idle, now: 0, Timeouts(idle: 60_000_000_000), tls: false, requestDeadline: 0) == 60_000_000_000)
        #expect(clock.waitingFor == .idle)
    }
}
