import Config
import Routing
import Testing

/// The fingerprint changes with what decides routing and only with it.
@Suite struct RoutingFingerprintTests {
    static let base = "listen 127.0.0.1:8080\nhash_secret \"fingerprint-secret-0123456789\"\n"
    static let backends = "backend app1 127.0.0.1:9001 route=node1\nbackend app2 127.0.0.1:9002 route=node2\n"

    func print(_ text: String) throws -> String {
        RoutingFingerprint.of(try ConfigParser.parse(text, file: "proxy.conf").get())
    }

    @Test func sameRoutingSameFingerprint() throws {
        let a = try print(Self.base + Self.backends)
        #expect(a.count == 16 && a.allSatisfy(\.isHexDigit))
        // Listeners, timeouts, logs, limits, admin and drain states do not route.
        let b = try print(
            "listen 0.0.0.0:9999\nhash_secret \"fingerprint-secret-0123456789\"\nconnect_timeout 2s\naccess_log off\nmax_connections 5\n"
                + "admin 127.0.0.1:9191\nbackend app1 127.0.0.1:9001 route=node1 drain\nbackend app2 127.0.0.1:9002 route=node2 max_conns=3\n")
        #expect(a == b)
    }

    @Test func whatRoutesChangesIt() throws {
        let a = try print(Self.base + Self.backends)
        let changed = [
            "listen 127.0.0.1:8080\nhash_secret \"another-secret-0123456789abc\"\n" + Self.backends,  // the secret
            Self.base + "backend app1 127.0.0.1:9001 route=node1 weight=2\nbackend app2 127.0.0.1:9002 route=node2\n",
            Self.base + "backend app1 127.0.0.1:9001 route=nodeA\nbackend app2 127.0.0.1:9002 route=node2\n",
            Self.base + "backend app2 127.0.0.1:9002 route=node2\nbackend app1 127.0.0.1:9001 route=node1\n",  // order
            Self.base + Self.backends + "backend app3 127.0.0.1:9003 backup\n",
            Self.base + "backend app1 127.0.0.1:9001 route=node1\nbackend app2 127.0.0.1:9012 route=node2\n",
            Self.base + Self.backends + "sticky_cookie SRV\n",
            Self.base + Self.backends + "app_cookie JSESSIONID\n",
            Self.base + Self.backends + "routing balanced\n",
        ]
        var seen: Set<String> = [a]
        for text in changed {
            let f = try print(text)
            #expect(!seen.contains(f), "\(text)")
            seen.insert(f)
        }
    }
}
