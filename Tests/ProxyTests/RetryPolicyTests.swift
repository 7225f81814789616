import Stats
import Testing

@testable import Proxy

/// What may be repeated after a backend failed (RFC 9110 §9.2.2): only
/// what the backend cannot have acted on.
@Suite struct RetryPolicyTests {
    static func facts(
        _ failure: BackendFailure, received: Bool = false, reused: Bool = false, retriedStale: Bool = false,
        idempotent: Bool = true, body: Bool = false, headDone: Bool = false
    ) -> RetryPolicy.Facts {
        .init(failure: failure, receivedForRequest: received, reusedConnection: reused, retriedStale: retriedStale,
              idempotent: idempotent, hasBody: body, responseHeadDone: headDone)
    }

    @Test func aRefusedConnectionSendsEverythingQueuedElsewhereEvenAPost() {
        #expect(RetryPolicy.retry(Self.facts(.connect(111), idempotent: false, body: true)) == .nextBackendWithQueuedBytes)
        #expect(RetryPolicy.retry(Self.facts(.connectTimeout, idempotent: false, body: true)) == .nextBackendWithQueuedBytes)
    }

    @Test func aStalePooledConnectionIsRetriedOnceOnAFreshOne() {
        #expect(RetryPolicy.retry(Self.facts(.closed, reused: true)) == .freshConnection)
        #expect(RetryPolicy.retry(Self.facts(.io(104), reused: true, idempotent: false)) == .freshConnection, "the backend never saw it: even a POST without body")
        #expect(RetryPolicy.retry(Self.facts(.closed, reused: true, retriedStale: true)) == .nextBackendWithHead, "once: then it is the backend's failure")
    }

    @Test func aStreamedBodyIsNeverReplayed() {
        #expect(RetryPolicy.retry(Self.facts(.closed, reused: true, body: true)) == nil)
        #expect(RetryPolicy.retry(Self.facts(.closed, body: true)) == nil)
    }

    @Test func onlyIdempotentRequestsWithNoResponseByteGoElsewhere() {
        #expect(RetryPolicy.retry(Self.facts(.closed)) == .nextBackendWithHead)
        #expect(RetryPolicy.retry(Self.facts(.closed, idempotent: false)) == nil, "a POST may have been acted on")
        #expect(RetryPolicy.retry(Self.facts(.closed, received: true)) == nil, "the backend answered something")
        #expect(RetryPolicy.retry(Self.facts(.io(104), headDone: true)) == nil)
    }

    @Test func timeoutsAndBadAnswersAreNotRetried() {
        #expect(RetryPolicy.retry(Self.facts(.responseTimeout)) == nil, "it may still be working on it")
        #expect(RetryPolicy.retry(Self.facts(.invalidResponse(.invalidStatusLine))) == nil)
        #expect(RetryPolicy.retry(Self.facts(.unrelayable("101 Switching Protocols without an upgrade"))) == nil)
    }

    @Test func statusesAndBlame() {
        #expect(BackendFailure.connectTimeout.answer == .connectTimeout && BackendFailure.responseTimeout.answer == .backendTimeout)
        #expect(BackendFailure.connectTimeout.answer.status == 504 && BackendFailure.responseTimeout.answer.status == 504)
        #expect(BackendFailure.connect(111).answer == .backendRefused && BackendFailure.closed.answer == .backendReset)
        #expect(BackendFailure.io(104).answer == .backendReset && BackendFailure.connect(111).answer.status == 502)
        #expect(BackendFailure.invalidResponse(.invalidStatusLine).answer == .invalidResponse)
        #expect(BackendFailure.unrelayable("x").answer == .invalidResponse && BackendFailure.closed.answer.status == 502)
        #expect(BackendFailure.closed.blamesBackend)
        #expect(!BackendFailure.unrelayable("response head over max_header_size").blamesBackend, "Tether's limit, not the backend's health")
    }
}
