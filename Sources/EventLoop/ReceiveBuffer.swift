import CSystem
import Glibc

/// A connection's receive buffer: bytes land at `writeIndex`, are parsed in
/// place between `readIndex` and `writeIndex`, and are moved to the front only
/// when the free tail runs out. Parsed heads hold indices into it, so it never
/// moves bytes while a head is in use (`compact` is called between messages).
public struct ReceiveBuffer {
    public private(set) var storage: [UInt8]
    public var readIndex = 0
    public private(set) var writeIndex = 0

    public init(capacity: Int) {
        storage = Self.storage(capacity: capacity)
    }

    /// Room for `capacity` bytes, not zeroed: only bytes a read put there
    /// are ever looked at (up to `writeIndex`). The allocation is at least
    /// `ownPages`, glibc's mmap threshold in Tether (`IdleMemory`), so the
    /// buffer gets pages of its own, and a page is only made resident when
    /// bytes land on it: a connection that sent one small request holds one
    /// page, not four.
    public static func storage(capacity: Int) -> [UInt8] {
        guard capacity > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: max(capacity, ownPages)) { _, count in count = capacity }
    }

    /// The allocation size from which glibc hands out pages of their own
    /// (`mallopt(M_MMAP_THRESHOLD)`): above a 16 KiB receive buffer, and
    /// above OpenSSL's ~16.7 KiB record buffers, which are allocated and
    /// freed with every TLS connection and are cheaper reused from the heap
    /// than mapped and unmapped each time.
    public static let ownPages = 20 * 1024

    public var readable: Int { writeIndex - readIndex }
    public var isEmpty: Bool { readIndex == writeIndex }
    public var freeTail: Int { storage.count - writeIndex }

    /// Moves unread bytes to the front. Only safe when no parsed ranges are live.
    public mutating func compact() {
        if readIndex == writeIndex {
            readIndex = 0
            writeIndex = 0
            return
        }
        guard readIndex > 0 else { return }
        let n = writeIndex - readIndex
        storage.withUnsafeMutableBytes { p in
            let base = p.baseAddress!
            memmove(base, base + readIndex, n)
        }
        readIndex = 0
        writeIndex = n
    }

    /// Gives the memory back when the connection closes: the object itself
    /// may stay referenced a while longer (by a queued timer entry), its
    /// buffer should not.
    public mutating func release() {
        storage = []
        readIndex = 0
        writeIndex = 0
    }

    /// Hands the storage over (to a pool of spares), leaving this buffer
    /// without any until `adopt`. Only when no parsed ranges are live.
    public mutating func takeStorage() -> [UInt8] {
        let s = storage
        release()
        return s
    }

    /// Takes `storage` (from a pool of spares) as this buffer's, empty.
    public mutating func adopt(_ storage: [UInt8]) {
        self.storage = storage
        readIndex = 0
        writeIndex = 0
    }

    /// Grows to at least `capacity` bytes (heads larger than the initial buffer).
    public mutating func reserve(_ capacity: Int) {
        if storage.count < capacity {
            storage.append(contentsOf: repeatElement(0, count: capacity - storage.count))
        }
    }

    /// Doubles the buffer (to at least `size`), never past `limit`: room
    /// for more of a head whose parsed indices must stay where they are.
    public mutating func grow(upTo limit: Int, from size: Int) {
        if storage.count < limit { reserve(min(limit, max(size, storage.count * 2))) }
    }

    public enum ReadResult {
        case bytes(Int)
        case wouldBlock
        case eof
        case error(Int32)
    }

    /// One `recv` into the free tail (not `read`, which goes through the VFS:
    /// `vfs_read`, `rw_verify_area` and fsnotify on every call, as nginx and
    /// HAProxy avoid; `csys_recv`, not glibc's cancellable wrapper). Never
    /// moves unread bytes (parsers may hold indices into them); an empty
    /// buffer restarts at the front.
    @inline(__always)
    public mutating func read(from fd: Int32) -> ReadResult {
        fill { p, n in
            let r = csys_recv(fd, p, n)
            if r > 0 { return .bytes(r) }
            if r == 0 { return .eof }
            let e = errno
            if e == EAGAIN || e == EWOULDBLOCK || e == EINTR { return .wouldBlock }
            return .error(e)
        }
    }

    /// Lets `reader` put bytes into the free tail (a socket read, or TLS
    /// decrypting straight into the buffer: no intermediate copy). `reader`
    /// gets the free space and returns what it did; `.bytes(n)` is committed.
    @inline(__always)
    public mutating func fill(_ reader: (UnsafeMutableRawPointer, Int) -> ReadResult) -> ReadResult {
        if readIndex == writeIndex {
            readIndex = 0
            writeIndex = 0
        }
        if freeTail == 0 { return .bytes(0) }
        let w = writeIndex
        let result = storage.withUnsafeMutableBytes { p in reader(p.baseAddress! + w, p.count - w) }
        if case .bytes(let n) = result { writeIndex += n }
        return result
    }
}
