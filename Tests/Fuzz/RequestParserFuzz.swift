// libFuzzer target: the request parser, fed in one piece and in two pieces,
// must never crash, must agree with itself, and a head it accepts must parse
// to the same message after Tether re-serialises it (what the backend reads).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var whole = RequestHead()
    var parser = RequestParser(limits: HTTPLimits(maxRequestLine: 1024, maxHeaderBytes: 4096, maxHeaderCount: 32, maxBodySize: 1 << 20))
    let one = bytes.withUnsafeBufferPointer { parser.parse($0, start: 0, end: bytes.count, into: &whole) }
    // Split delivery gives the same verdict.
    var split = RequestHead()
    var parser2 = RequestParser(limits: parser.limits)
    var two: RequestParser.Status = .needMore
    let cut = size / 2
    bytes.withUnsafeBufferPointer { buf in
        two = parser2.parse(buf, start: 0, end: cut, into: &split)
        if two == .needMore { two = parser2.parse(buf, start: 0, end: bytes.count, into: &split) }
    }
    // Accepting must not depend on how bytes arrive; which of several errors
    // is reported first may (a line can be both too long and badly ended).
    switch (one, two) {
    case (.complete(let a), .complete(let b)) where a == b: break
    case (.failed, .failed), (.needMore, .needMore): break
    default: fatalError("split delivery changed the verdict: \(one) vs \(two)")
    }
    guard case .complete = one else { return 0 }
    // Re-serialise as Tether forwards it; it must parse again, with the same framing.
    var out: [UInt8] = []
    let client = Array("192.0.2.1".utf8), host = Array("backend:80".utf8)
    bytes.withUnsafeBufferPointer { buf in
        client.withUnsafeBufferPointer { c in
            host.withUnsafeBufferPointer { h in
                MessageWriter.appendRequestHead(buf, whole, info: .init(clientAddress: c, isTLS: false, fallbackHost: h), into: &out)
            }
        }
    }
    var again = RequestHead()
    var parser3 = RequestParser(limits: HTTPLimits(maxRequestLine: 1 << 20, maxHeaderBytes: 1 << 20, maxHeaderCount: 1000, maxBodySize: .max))
    let status = out.withUnsafeBufferPointer { parser3.parse($0, start: 0, end: out.count, into: &again) }
    guard case .complete = status else { fatalError("forwarded head does not parse: \(status)") }
    if again.framing != whole.framing { fatalError("framing changed: \(whole.framing) -> \(again.framing)") }
    if again.method != whole.method { fatalError("method changed") }
    return 0
}
