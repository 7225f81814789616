import Balancer
import Config
import HTTP1

/// A short hash of everything that decides where a request goes: replicas
/// with the same fingerprint route every session alike (the same keyed hash,
/// the same ring, the same sealed cookies), so an operator running several
/// behind an L4 balancer sees at a glance that they agree, and
/// `tether stats --admin A --admin B` flags the one that does not.
///
/// Covered: routing mode and balance, the affinity cookie's name, the
/// application cookie and its prefix mode, the bounded-load factor, the
/// session store and its `on_down`, and each backend's name, address,
/// weight, route and backup flag, in order. `hash_secret` is the hash's key,
/// so it counts without being printed (and a fingerprint does not reveal
/// it: without the key, SipHash's output says nothing of its input).
/// Left out on purpose: what an operator changes at run time (drain,
/// maintenance), timeouts, limits, logs and listeners.
public enum RoutingFingerprint {
    public static func of(_ config: ProxyConfig) -> String {
        var text: [UInt8] = []
        func field(_ s: String) {
            let bytes = Array(s.utf8)
            text.append(contentsOf: String(bytes.count).utf8)
            text.append(0x3A)
            text.append(contentsOf: bytes)
        }
        let r = config.routing
        field(r.mode.rawValue)
        field(r.strategy.rawValue)
        field(r.cookie.name)
        field(r.appCookie ?? "")
        field(r.appCookiePrefix ? "prefix" : "")
        field(String(r.boundedLoad))
        field(r.sessionStore ?? "")
        field(r.sessionStore == nil ? "" : r.store.onDown.rawValue)
        for b in config.backends {
            field(b.name)
            field(b.address)
            field(String(b.weight))
            field(b.route ?? "")
            field(b.backup ? "backup" : "")
        }
        let key = SipHash24(secret: Array((r.hashSecret ?? "").utf8) + Array("tether routing fingerprint".utf8))
        var out: [UInt8] = []
        out.appendHex(key.hash(text), digits: 16)
        return String(decoding: out, as: UTF8.self)
    }
}
