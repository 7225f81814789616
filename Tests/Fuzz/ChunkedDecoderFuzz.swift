// libFuzzer target: the chunked decoder. Byte-at-a-time and whole delivery
// must decode the same data and trailer bytes and end at the same place;
// re-chunking the data must decode back to it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChunked(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    func decode(step: Int) -> ([UInt8], Int?, Bool, [UInt8]) {
        var d = ChunkedDecoder(maxBodySize: 1 << 20)
        var out: [UInt8] = []
        var trailers: [UInt8] = []
        var i = 0
        var available = min(step, bytes.count)
        return bytes.withUnsafeBufferPointer { buf in
            while true {
                switch d.next(buf, start: i, end: available) {
                case .data(let r):
                    out += buf[r]
                    i = r.upperBound
                case .trailer(let r):
                    trailers += buf[r]
                    i = r.upperBound
                case .needMore:
                    i = available
                    if available == bytes.count { return (out, nil, false, trailers) }
                    available = min(available + step, bytes.count)
                case .end(let e): return (out, e, false, trailers)
                case .failed: return (out, nil, true, trailers)
                }
            }
        }
    }
    let a = decode(step: max(1, bytes.count))
    let b = decode(step: 1)
    if a.1 != b.1 || a.2 != b.2 || (!a.2 && (a.0 != b.0 || a.3 != b.3)) { fatalError("delivery changed the result") }
    if let _ = a.1 {
        var rechunked: [UInt8] = []
        if !a.0.isEmpty {
            MessageWriter.appendChunkHeader(a.0.count, into: &rechunked)
            rechunked += a.0 + [13, 10]
        }
        rechunked += Array("0\r\n\r\n".utf8)
        var d = ChunkedDecoder()
        var out: [UInt8] = []
        var i = 0
        loop: while true {
            let ev = rechunked.withUnsafeBufferPointer { d.next($0, start: i, end: rechunked.count) }
            switch ev {
            case .data(let r): out += rechunked[r]; i = r.upperBound
            case .end: break loop
            default: fatalError("re-chunked body does not decode")
            }
        }
        if out != a.0 { fatalError("re-chunked body differs") }
    }
    return 0
}
