/// A receive buffer as one direction of a byte relay (a tunnel): what was
/// read into it is written out from it, with no copy in between.
extension ReceiveBuffer {
    /// Appends `bytes`, growing the buffer if they do not fit (bytes a
    /// connection had buffered when it became a tunnel).
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        if freeTail < bytes.count { compact() }
        if freeTail < bytes.count { reserve(writeIndex + bytes.count) }
        _ = fill { p, _ in
            p.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            return .bytes(bytes.count)
        }
    }

    /// Hands the unread bytes to `writer` until it blocks or all are gone;
    /// an emptied buffer starts again at the front.
    public mutating func drain(_ writer: (UnsafeRawPointer, Int) -> SendQueue.WriteStep) -> SendQueue.WriteResult {
        while readIndex < writeIndex {
            let r = readIndex, n = writeIndex - readIndex
            switch storage.withUnsafeBytes({ writer($0.baseAddress! + r, n) }) {
            case .wrote(let k): readIndex += k
            case .blocked: return .partial
            case .failed(let e): return .error(e)
            }
        }
        compact()
        return .done
    }
}
