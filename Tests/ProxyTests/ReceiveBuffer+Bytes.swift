import EventLoop

extension ReceiveBuffer {
    /// Puts `bytes` into the buffer as a read would (growing it when they do
    /// not fit), so the tests feed the proxy's logic without a socket.
    mutating func append(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            if freeTail == 0 { compact() }
            if freeTail == 0 { reserve(storage.count * 2) }
            _ = fill { p, n in
                let k = min(n, bytes.count - offset)
                bytes.withUnsafeBytes { p.copyMemory(from: $0.baseAddress! + offset, byteCount: k) }
                offset += k
                return .bytes(k)
            }
        }
    }
}
