import Balancer
import HTTP1

/// A loop's source of request ids: 32 hex digits, the keyed hash of the
/// loop's number and a counter under a key drawn at start. Unique within the
/// process (distinct inputs), unguessable from outside (the key), and no
/// system call per request, where nginx's `$request_id` reads random bytes.
struct RequestIDSource {
    private let prf: SipHash24
    private let loop: UInt64
    private var counter: UInt64 = 0

    init(loop: Int) {
        var g = SystemRandomNumberGenerator()
        prf = SipHash24(k0: g.next(), k1: g.next())
        self.loop = UInt64(loop)
    }

    mutating func next(into out: inout [UInt8]) {
        counter &+= 1
        out.removeAll(keepingCapacity: true)
        out.appendHex(prf.hash(loop, counter))
        out.appendHex(prf.hash(counter, ~loop))
    }

    /// A client's id that may stand (`request_id trust`): 1 to 128 visible
    /// characters other than `"` and `\`, so it can go into every log
    /// format and header as it is.
    static func acceptable(_ buf: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        guard (1...128).contains(r.count) else { return false }
        for i in r {
            let b = buf[i]
            if b <= 0x20 || b >= 0x7F || b == 0x22 || b == 0x5C { return false }
        }
        return true
    }
}
