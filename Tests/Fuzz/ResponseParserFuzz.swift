// libFuzzer target: the backend response parser (any method), never crashing,
// split delivery giving the same verdict.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzResponse(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let method: HTTPMethod = size > 0 && bytes[0] & 1 == 1 ? .head : .get
    var head = ResponseHead()
    var p = ResponseParser(limits: HTTPLimits(maxRequestLine: 1024, maxHeaderBytes: 4096, maxHeaderCount: 32, maxBodySize: 1 << 20))
    let one = bytes.withUnsafeBufferPointer { p.parse($0, start: 0, end: bytes.count, requestMethod: method, into: &head) }
    var head2 = ResponseHead()
    var p2 = ResponseParser(limits: p.limits)
    var two: RequestParser.Status = .needMore
    bytes.withUnsafeBufferPointer { buf in
        two = p2.parse(buf, start: 0, end: size / 3, requestMethod: method, into: &head2)
        if two == .needMore { two = p2.parse(buf, start: 0, end: size, requestMethod: method, into: &head2) }
    }
    switch (one, two) {
    case (.complete(let a), .complete(let b)) where a == b: break
    case (.failed, .failed), (.needMore, .needMore): break
    default: fatalError("split delivery changed the verdict: \(one) vs \(two)")
    }
    if case .complete = one, head.framing != head2.framing { fatalError("framing differs") }
    return 0
}
