import HTTP1
import Testing

@testable import Proxy

/// How a response is framed for the client, and which interim responses it
/// sees (RFC 9112 §6–7, RFC 9110 §6.5.1, §15.2).
@Suite struct ResponsePolicyTests {
    @Test func lengthAndBodilessGoAsTheyAre() {
        for framing in [BodyFraming.none, .length(0), .length(5)] {
            for version in [HTTPVersion.http10, .http11] {
                let plan = ResponsePolicy.framing(framing, clientVersion: version, clientTakesTrailers: true)
                #expect(plan == .init(client: .asIs, trailers: false) && !plan.closesConnection)
            }
        }
    }

    @Test func chunkedIsRechunkedForHTTP11AndCloseDelimitedForHTTP10() {
        #expect(ResponsePolicy.framing(.chunked, clientVersion: .http11, clientTakesTrailers: false) == .init(client: .chunked, trailers: false))
        let old = ResponsePolicy.framing(.chunked, clientVersion: .http10, clientTakesTrailers: true)
        #expect(old == .init(client: .close, trailers: false) && old.closesConnection, "HTTP/1.0 cannot read chunked; no place for trailers")
    }

    @Test func trailersOnlyToAClientThatTakesThem() {
        #expect(ResponsePolicy.framing(.chunked, clientVersion: .http11, clientTakesTrailers: true).trailers)
        #expect(!ResponsePolicy.framing(.chunked, clientVersion: .http11, clientTakesTrailers: false).trailers)
    }

    @Test func aCloseDelimitedBodyClosesTheClientConnection() {
        for version in [HTTPVersion.http10, .http11] {
            #expect(ResponsePolicy.framing(.untilClose, clientVersion: version, clientTakesTrailers: true).closesConnection)
        }
    }

    @Test func interimResponses() {
        #expect(ResponsePolicy.forwardsInterim(status: 100, clientVersion: .http11, expectsContinue: true, continueSettled: false))
        #expect(!ResponsePolicy.forwardsInterim(status: 100, clientVersion: .http11, expectsContinue: false, continueSettled: false), "nobody asked")
        #expect(!ResponsePolicy.forwardsInterim(status: 100, clientVersion: .http11, expectsContinue: true, continueSettled: true), "one 100 at most")
        #expect(ResponsePolicy.forwardsInterim(status: 103, clientVersion: .http11, expectsContinue: false, continueSettled: true))
        #expect(ResponsePolicy.forwardsInterim(status: 102, clientVersion: .http11, expectsContinue: false, continueSettled: false))
        for status in [100, 102, 103] {
            #expect(!ResponsePolicy.forwardsInterim(status: status, clientVersion: .http10, expectsContinue: true, continueSettled: false))
        }
    }
}
