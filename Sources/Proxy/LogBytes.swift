/// A loop's access-log bytes, written with plain stores through a pointer.
/// An `Array` checks uniqueness and capacity on every append; a JSON line
/// makes about a hundred of them, which cost more than the bytes (measured:
/// the log took 10 % of the proxy's CPU that way). Writers `reserve` what a
/// piece may take, plus `slack` for the fixed-size pieces that follow it
/// (keys, digits, quotes), which then store without checks.
final class LogBytes {
    /// Room every `reserve` leaves past its piece: more than any line's
    /// fixed-size parts (the JSON keys and numbers are under 400 bytes).
    static let slack = 1024

    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// Room for `n` more bytes and the slack after them.
    @inline(__always)
    func reserve(_ n: Int) {
        if count + n + Self.slack > capacity { grow(count + n + Self.slack) }
    }

    private func grow(_ needed: Int) {
        let bigger = max(needed, capacity * 2)
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: bigger)
        fresh.update(from: base, count: count)
        base.deallocate()
        base = fresh
        capacity = bigger
    }

    /// One byte of a fixed-size piece (covered by the last `reserve`).
    @inline(__always)
    func put(_ b: UInt8) {
        base[count] = b
        count += 1
    }

    @inline(__always)
    func put(_ p: UnsafeBufferPointer<UInt8>) {
        guard let src = p.baseAddress, !p.isEmpty else { return }
        reserve(p.count)
        (base + count).update(from: src, count: p.count)
        count += p.count
    }

    @inline(__always)
    func put(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { put($0) }
    }

    /// A literal: keys and punctuation (shorter than the slack).
    @inline(__always)
    func put(static s: StaticString) {
        (base + count).update(from: s.utf8Start, count: s.utf8CodeUnitCount)
        count += s.utf8CodeUnitCount
    }

    /// A non-negative integer (at most 20 digits: within the slack).
    func putDecimal(_ value: Int) {
        if value < 10 { return put(UInt8(0x30 + value)) }
        var n = value
        var digits = 0
        while n > 0 { digits += 1; n /= 10 }
        n = value
        var i = count + digits - 1
        while n > 0 {
            base[i] = UInt8(0x30 + n % 10)
            n /= 10
            i -= 1
        }
        count += digits
    }

    /// The bytes so far, handed over; the buffer starts again (its memory kept).
    func take() -> [UInt8]? {
        guard count > 0 else { return nil }
        let out = [UInt8](UnsafeBufferPointer(start: base, count: count))
        count = 0
        return out
    }
}
