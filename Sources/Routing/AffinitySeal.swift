import Balancer
import HTTP1

/// Tether's affinity cookie value, `NONCE.IDENTITY.TAG`: the session's
/// backend named by a stable identity (its `route`, else its name), a
/// per-session nonce (16 hex digits), and a 64-bit SipHash-2-4 tag over the
/// two, keyed from `hash_secret` (apart from the placement hash).
///
/// Why not a key whose hash leads to the backend (as before): any change to
/// the set of backends re-maps about 1/N of all such keys, so a reload that
/// added a server moved live sessions; and any string was a valid key, so a
/// client could aim or tamper. A sealed identity survives adding, removing,
/// re-weighting and re-ordering *other* backends, and replicas with the same
/// secret read each other's cookies with no shared state. Unlike HAProxy's
/// `cookie insert`, the value cannot be forged and says nothing a client can
/// change. The nonce orders the session's failover (the rendezvous order of
/// the nonce), so a dead backend's sessions spread over the others.
public struct AffinitySeal: Sendable {
    /// Route, else name, of each backend of this configuration, by index.
    let identities: [[UInt8]]
    let tagger: SipHash24
    /// Keys the prefixes' tags (over the identity alone), apart from the seals'.
    let prefixTagger: SipHash24
    /// Seals carry two dates (`max_idle` / `max_life`):
    /// `NONCE.IDENTITY.FIRST.LAST.TAG`, seconds since 1970 in 8 hex digits:
    /// when the session began and when it was last re-sealed.
    let dated: Bool

    static let hexDigits = 16
    static let dateDigits = 8
    /// `NONCE.` and `.TAG` around an identity of at least one byte.
    static let minimumLength = 2 * (hexDigits + 1) + 1

    /// `IDENTITY.TAG~` of each backend, for `app_cookie … prefix`: a tag
    /// over the identity alone, under a key of its own (so no seal reads as
    /// a prefix).
    public let prefixes: [[UInt8]]

    public init(secret: [UInt8], identities: [[UInt8]], dated: Bool = false) {
        self.identities = identities
        self.dated = dated
        tagger = SipHash24(secret: secret + Array("/affinity-seal".utf8))
        let prefixTagger = SipHash24(secret: secret + Array("/affinity-prefix".utf8))
        self.prefixTagger = prefixTagger
        prefixes = identities.map { id in
            var p = id
            p.append(0x2E)
            p.appendHex(prefixTagger.hash(id), digits: Self.hexDigits)
            p.append(0x7E)
            return p
        }
    }

    /// The index of the identity equal to `buf[range]` (no copy).
    static func index(of range: Range<Int>, in buf: UnsafeBufferPointer<UInt8>, among candidates: [[UInt8]?]) -> Int? {
        for (i, c) in candidates.enumerated() {
            guard let c, c.count == range.count else { continue }
            if c.withUnsafeBufferPointer({ cb in range.indices.allSatisfy { buf[$0] == cb[$0 - range.lowerBound] } }) { return i }
        }
        return nil
    }

    /// A sealed prefix at the start of an application cookie's value:
    /// the backend it names (nil: a genuine prefix of a removed backend) and
    /// the bytes to take off before the backend sees the value (through the
    /// `~`). Nil when the value carries no genuine prefix.
    public func readPrefix(_ buf: UnsafeBufferPointer<UInt8>, _ value: Range<Int>) -> (backend: Int?, strip: Range<Int>)? {
        var tilde = value.lowerBound
        while tilde < value.upperBound && buf[tilde] != 0x7E { tilde += 1 }
        let n = Self.hexDigits
        guard tilde < value.upperBound, tilde - value.lowerBound >= n + 2, buf[tilde - n - 1] == 0x2E,
            let tag = Self.hex(buf, tilde - n)
        else { return nil }
        let identity = value.lowerBound..<(tilde - n - 1)
        guard prefixTagger.hash(UnsafeBufferPointer(rebasing: buf[identity])) == tag else { return nil }
        return (Self.index(of: identity, in: buf, among: identities), value.lowerBound..<(tilde + 1))
    }

    public enum Reading: Equatable, Sendable {
        /// A genuine seal; `backend` nil when this configuration no longer
        /// has the backend it names (removed by a reload). `first`, `last`:
        /// its dates (0 when seals carry none).
        case sealed(nonce: UInt64, backend: Int?, first: UInt32, last: UInt32)
        /// Not a seal of this secret: tampered, truncated, another secret's,
        /// or made up.
        case forged
    }

    /// Reads the cookie value `buf[value]` (no copy).
    public func read(_ buf: UnsafeBufferPointer<UInt8>, _ value: Range<Int>) -> Reading {
        let n = Self.hexDigits
        let dates = dated ? 2 * (Self.dateDigits + 1) : 0
        guard value.count >= Self.minimumLength + dates,
            buf[value.lowerBound + n] == 0x2E, buf[value.upperBound - n - 1] == 0x2E,
            let nonce = Self.hex(buf, value.lowerBound), let tag = Self.hex(buf, value.upperBound - n)
        else { return .forged }
        let signed = value.lowerBound..<(value.upperBound - n - 1)
        guard tagger.hash(UnsafeBufferPointer(rebasing: buf[signed])) == tag else { return .forged }
        var first: UInt32 = 0, last: UInt32 = 0
        if dated {
            let lastAt = signed.upperBound - Self.dateDigits, firstAt = lastAt - 1 - Self.dateDigits
            guard buf[lastAt - 1] == 0x2E, buf[firstAt - 1] == 0x2E,
                let f = Self.hex(buf, firstAt, digits: Self.dateDigits), let l = Self.hex(buf, lastAt, digits: Self.dateDigits)
            else { return .forged }
            first = UInt32(f)
            last = UInt32(l)
        }
        let identity = (value.lowerBound + n + 1)..<(signed.upperBound - dates)
        return .sealed(nonce: nonce, backend: Self.index(of: identity, in: buf, among: identities), first: first, last: last)
    }

    /// Writes the value naming `backend` for the session `nonce` into
    /// `value` (with its dates, when seals carry them).
    public func write(backend: Int, nonce: UInt64, first: UInt32 = 0, last: UInt32 = 0, into value: inout [UInt8]) {
        value.removeAll(keepingCapacity: true)
        value.appendHex(nonce, digits: Self.hexDigits)
        value.append(0x2E)
        value.append(contentsOf: identities[backend])
        if dated {
            value.append(0x2E)
            value.appendHex(UInt64(first), digits: Self.dateDigits)
            value.append(0x2E)
            value.appendHex(UInt64(last), digits: Self.dateDigits)
        }
        let tag = value.withUnsafeBufferPointer { tagger.hash($0) }
        value.append(0x2E)
        value.appendHex(tag, digits: Self.hexDigits)
    }

    /// 16 lowercase hex digits at `start` (what `write` makes; nothing else).
    private static func hex(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, digits: Int = hexDigits) -> UInt64? {
        var v: UInt64 = 0
        for k in start..<(start + digits) {
            let c = buf[k]
            let d: UInt8
            switch c {
            case 0x30...0x39: d = c - 0x30
            case 0x61...0x66: d = c - 0x61 + 10
            default: return nil
            }
            v = v << 4 | UInt64(d)
        }
        return v
    }
}
