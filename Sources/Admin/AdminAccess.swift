import Balancer
import HTTPServer

/// Who may do what on the admin endpoint. Without a token, everyone who can
/// connect may do everything (the validator allows that on loopback only,
/// or with `insecure`). With one, a request proves itself by a bearer token
/// (scripts, Prometheus) or by the session cookie the login form gives a
/// browser; `read_token` reads and changes nothing.
///
/// The cookie is not the token: it is a MAC of the token under keys drawn
/// at start, so it never shows the token, it is void after a restart or a
/// token change, and it needs no session table. HttpOnly keeps it from
/// page scripts; SameSite=Strict keeps other sites' pages from sending it.
struct AdminAccess: Sendable {
    enum Role: UInt8, Comparable {
        case none = 0, read = 1, write = 2
        static func < (a: Role, b: Role) -> Bool { a.rawValue < b.rawValue }
    }

    static let cookieName = "tether_admin"

    let token: [UInt8]?
    let readToken: [UInt8]?
    /// The session cookie's value for each role (nil: no such token): a
    /// role letter and a 128-bit MAC of the token that grants it.
    private let writeCookie: [UInt8]?
    private let readCookie: [UInt8]?

    init(token: String?, readToken: String?) {
        self.token = token.map { Array($0.utf8) }
        self.readToken = readToken.map { Array($0.utf8) }
        var rng = SystemRandomNumberGenerator()
        let macs = [SipHash24(k0: rng.next(), k1: rng.next()), SipHash24(k0: rng.next(), k1: rng.next())]
        func cookie(_ letter: Character, _ role: Role, _ secret: [UInt8]?) -> [UInt8]? {
            guard let secret else { return nil }
            let input = [role.rawValue] + secret
            return Array(String(letter).utf8) + macs.flatMap { Array(Self.hex16($0.hash(input)).utf8) }
        }
        writeCookie = cookie("w", .write, self.token)
        readCookie = cookie("r", .read, self.readToken)
    }

    /// 16 lowercase hex digits.
    private static func hex16(_ v: UInt64) -> String {
        let digits = String(v, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// A token is configured: requests must prove themselves.
    var required: Bool { token != nil }

    /// The role a request proves, by bearer token or session cookie.
    func role(of request: HTTPRequest) -> Role {
        guard token != nil else { return .write }
        if let header = request.header("authorization") {
            guard header.count > 7, header.prefix(7).lowercased() == "bearer " else { return .none }
            return role(presenting: Array(header.utf8.dropFirst(7)))
        }
        guard let value = request.cookie(Self.cookieName) else { return .none }
        let presented = Array(value.utf8)
        if let writeCookie, Self.equal(presented, writeCookie) { return .write }
        if let readCookie, Self.equal(presented, readCookie) { return .read }
        return .none
    }

    /// The role a token typed into the login form (or sent as bearer) grants.
    func role(presenting presented: [UInt8]) -> Role {
        if let token, Self.equal(presented, token) { return .write }
        if let readToken, Self.equal(presented, readToken) { return .read }
        return .none
    }

    /// `Set-Cookie` giving a browser `role` until it closes (or logs out).
    func setCookie(for role: Role) -> String {
        let value = (role == .write ? writeCookie : readCookie) ?? []
        return "\(Self.cookieName)=\(String(decoding: value, as: UTF8.self)); Path=/; HttpOnly; SameSite=Strict"
    }

    static let clearCookie = "\(cookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"

    /// Compares in time that depends only on `expected`'s length.
    static func equal(_ presented: [UInt8], _ expected: [UInt8]) -> Bool {
        var diff = UInt8(truncatingIfNeeded: presented.count ^ expected.count)
        for i in 0..<expected.count {
            diff |= expected[i] ^ (i < presented.count ? presented[i] : 0)
        }
        return diff == 0
    }

    /// Field `name` of an `application/x-www-form-urlencoded` body, decoded
    /// (`+` is a space, `%XX` a byte).
    static func formField(_ body: [UInt8], name: String) -> [UInt8]? {
        let key = Array(name.utf8)
        for pair in body.split(separator: 0x26) {  // &
            guard let eq = pair.firstIndex(of: 0x3D), Array(pair[pair.startIndex..<eq]) == key else { continue }
            var out: [UInt8] = []
            var i = eq + 1
            while i < pair.endIndex {
                let c = pair[i]
                if c == 0x2B {
                    out.append(0x20)
                } else if c == 0x25, i + 2 < pair.endIndex, let hi = hex(pair[i + 1]), let lo = hex(pair[i + 2]) {
                    out.append(hi << 4 | lo)
                    i += 2
                } else {
                    out.append(c)
                }
                i += 1
            }
            return out
        }
        return nil
    }

    private static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
}
