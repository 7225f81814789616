import HTTP1

/// How a backend's response goes to the client, decided from the two
/// messages' facts alone (RFC 9112 §6–7, RFC 9110 §6.5.1, §15.2). Pure, so
/// each rule is a unit test rather than a socket test.
enum ResponsePolicy {
    struct Framing: Equatable {
        var client: MessageWriter.ClientFraming
        /// The body's trailer fields go on (chunked to a client that said `TE: trailers`).
        var trailers: Bool
        /// The body's end is the connection's end: it cannot stay open.
        var closesConnection: Bool { client == .close }
    }

    /// Content-Length and body-less responses go as they are; chunked is
    /// re-chunked for HTTP/1.1 clients and runs until close for HTTP/1.0
    /// ones (which cannot read chunked); a close-delimited body stays one.
    static func framing(_ response: BodyFraming, clientVersion: HTTPVersion, clientTakesTrailers: Bool) -> Framing {
        let client: MessageWriter.ClientFraming
        switch response {
        case .none, .length: client = .asIs
        case .chunked: client = clientVersion == .http11 ? .chunked : .close
        case .untilClose: client = .close
        }
        return Framing(client: client, trailers: client == .chunked && clientTakesTrailers)
    }

    /// Whether an interim (1xx) response goes to this client: never to
    /// HTTP/1.0 clients; a `100` only to a client that asked for it and got
    /// none yet (the other 1xx, e.g. 103 Early Hints, always).
    static func forwardsInterim(status: Int, clientVersion: HTTPVersion, expectsContinue: Bool, continueSettled: Bool) -> Bool {
        guard clientVersion == .http11 else { return false }
        if status == 100 { return expectsContinue && !continueSettled }
        return true
    }
}
