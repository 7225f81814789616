// libFuzzer target: the PROXY protocol header parser. Taking the header off
// the socket in small reads (peek, take what belongs, parse) must end where
// one whole read ends, never take a byte past the header, and a v1 header
// written back from what was parsed must parse to the same thing.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProxyHeader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    func read(step: Int) -> (ProxyHeaderParser.Result, Int) {
        var acc = ProxyHeaderAccumulator()
        var position = 0
        while true {
            let end = min(bytes.count, position + min(step, acc.peekLimit))
            let (take, result) = bytes[position..<end].withUnsafeBufferPointer { acc.offer($0) }
            if take < 0 || take > end - position { fatalError("took \(take) of \(end - position) peeked bytes") }
            position += take
            if case .incomplete = result, end < bytes.count { continue }
            return (result, position)
        }
    }
    let whole = read(step: bytes.count + 1)
    for step in [1, 3, 16] {
        let small = read(step: step)
        // A refused header closes the connection: only where a good one ends matters.
        let refused: Bool
        if case .invalid = whole.0 { refused = true } else { refused = false }
        if small.0 != whole.0 || (!refused && small.1 != whole.1) { fatalError("step \(step) read \(small) but whole read \(whole)") }
    }
    if case .complete(let h, let length) = whole.0 {
        if length != whole.1 { fatalError("header of \(length) bytes but \(whole.1) taken") }
        if h.version == 1, let s = h.source, let d = h.destination {
            let family = s.address.isV4 ? "TCP4" : "TCP6"
            let line = Array("PROXY \(family) \(s.address) \(d.address) \(s.port) \(d.port)\r\n".utf8)
            let again = line.withUnsafeBufferPointer { ProxyHeaderParser.parse($0) }
            guard case .complete(let h2, line.count) = again, h2 == h else { fatalError("v1 round trip: \(again) for \(h)") }
        }
    }
    return 0
}
