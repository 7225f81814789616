// libFuzzer target: the proxy.conf parser never crashes, and every error it
// reports points inside the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
    if case .failure(let errors) = ConfigParser.parse(text, file: "fuzz.conf") {
        for e in errors.errors where e.line < 1 || e.line > max(1, lines) {
            fatalError("error outside the input: \(e)")
        }
    }
    return 0
}
