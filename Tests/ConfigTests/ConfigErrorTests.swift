import Config
import Testing

/// Broken files: each error names the line, the column and what to do.
@Suite struct ConfigErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        /// `line:column: message` of the first error.
        let expected: String
        var testDescription: String { name }
    }

    static let head = "listen 127.0.0.1:8080\nhash_secret \"0123456789abcdef\"\n"  // lines 1-2
    static let backend = "backend app1 127.0.0.1:9001\n"

    static let cases: [Case] = [
        Case(name: "misspelt directive", text: head + backend + "heatlh_check path=/x\n",
             expected: "4:1: unknown directive \"heatlh_check\" (did you mean \"health_check\"?)"),
        Case(name: "unknown directive, no suggestion", text: head + backend + "frobnicate 1\n",
             expected: "4:1: unknown directive \"frobnicate\""),
        Case(name: "too few arguments", text: head + "backend app1\n",
             expected: "3:1: \"backend\" takes 2 arguments, got 1 (usage: backend NAME ADDRESS [key=value ...])"),
        Case(name: "too many arguments", text: head + backend + "workers 2 3\n",
             expected: "4:11: \"workers\" takes 1 argument, got 2 (usage: workers COUNT)"),
        Case(name: "address without port", text: head + "backend app1 127.0.0.1\n",
             expected: "3:14: backend: address \"127.0.0.1\" has no port (expected host:port)"),
        Case(name: "port out of range", text: head + "backend app1 127.0.0.1:70000\n",
             expected: "3:14: backend: port 70000 in \"127.0.0.1:70000\" is out of range 1–65535"),
        Case(name: "port zero", text: head + "backend app1 127.0.0.1:0\n",
             expected: "3:14: backend: port 0 in \"127.0.0.1:0\" is out of range 1–65535"),
        Case(name: "port not a number", text: "listen 127.0.0.1:http\n" + head.dropFirst(22) + backend,
             expected: "1:8: listen: port \"http\" in \"127.0.0.1:http\" is not a number"),
        Case(name: "bad host character", text: head + "backend app1 app/1:9001\n",
             expected: "3:14: backend: host \"app/1\" in \"app/1:9001\" has an invalid character \"/\""),
        Case(name: "duplicate backend name", text: head + backend + "backend app1 127.0.0.1:9002\n",
             expected: "4:1: duplicate backend name \"app1\" (first on line 3)"),
        Case(name: "duplicate route", text: head + "backend a 127.0.0.1:9001 route=n1\nbackend b 127.0.0.1:9002 route=n1\n",
             expected: "4:1: duplicate route \"n1\" (also backend \"a\" on line 3)"),
        Case(name: "proxy_protocol without trusted", text: head + backend + "listen 127.0.0.1:8081 proxy_protocol\n",
             expected: "4:1: listener 127.0.0.1:8081 has proxy_protocol but no trusted=: name the networks of the balancers that send the header (e.g. trusted=10.0.0.0/8), or anyone could claim any address"),
        Case(name: "trusted without proxy_protocol", text: head + backend + "listen 127.0.0.1:8081 trusted=10.0.0.0/8\n",
             expected: "4:1: listener 127.0.0.1:8081 has trusted= without proxy_protocol; trusted= names who may send PROXY headers (for X-Forwarded-For use trusted_proxies)"),
        Case(name: "network with host bits", text: head + backend + "trusted_proxies 10.0.0.0/8,192.168.1.7/24\n",
             expected: "4:17: trusted_proxies: \"192.168.1.7/24\": host bits are set (the network is 192.168.1.0/24) (give networks like 10.0.0.0/8,192.168.1.7,2001:db8::/32)"),
        Case(name: "zero duration", text: head + backend + "connect_timeout 0\n",
             expected: "4:17: connect_timeout: duration must be positive, got \"0\""),
        Case(name: "negative duration", text: head + backend + "header_timeout -5s\n",
             expected: "4:16: header_timeout: duration must be positive, got \"-5s\""),
        Case(name: "duration without unit word", text: head + backend + "send_timeout 5 minutes\n",
             expected: "4:16: \"send_timeout\" takes 1 argument, got 2 (usage: send_timeout DURATION)"),
        Case(name: "bad duration unit", text: head + backend + "send_timeout 5d\n",
             expected: "4:14: send_timeout: \"5d\" is not a duration (e.g. 500ms, 2s, 5m, 1h)"),
        Case(name: "bad size", text: head + backend + "max_body_size lots\n",
             expected: "4:15: max_body_size: \"lots\" is not a size (e.g. 512, 16k, 64m, 1g)"),
        Case(name: "integer out of range", text: head + backend + "workers 1000\n",
             expected: "4:9: workers: 1000 is out of range 0–256"),
        Case(name: "sticky without secret", text: "listen 127.0.0.1:8080\nrouting sticky\n" + backend,
             expected: "2:1: sticky routing needs a hash_secret, the same on every replica (e.g. hash_secret \""),
        Case(name: "short secret", text: "listen 127.0.0.1:8080\nhash_secret short\n" + backend,
             expected: "2:1: hash_secret is 5 characters; use at least 16 so session keys cannot be aimed at one backend"),
        Case(name: "store URL not redis", text: head + backend + "session_store http://127.0.0.1:6379\n",
             expected: "4:15: session_store: session store \"http://127.0.0.1:6379\" is not a redis://host:port URL"),
        Case(name: "store URL without port", text: head + backend + "session_store redis://localhost\n",
             expected: "4:15: session_store: session store \"redis://localhost\" is not a redis://host:port URL: address \"localhost\" has no port (expected host:port)"),
        Case(name: "sticky with a store", text: head + "routing sticky\nsession_store redis://127.0.0.1:6379\n" + backend,
             expected: "3:1: routing sticky with a session_store: sessions in a shared store need no pinning; use \"routing balanced\""),
        Case(name: "no backends", text: head,
             expected: "2:1: no \"backend\" directive: give at least one app server"),
        Case(name: "no listeners", text: "hash_secret \"0123456789abcdef\"\n" + backend,
             expected: "2:1: no \"listen\" directive: give at least one address to accept clients on"),
        Case(name: "all backends backup", text: head + "backend a 127.0.0.1:9001 backup\nbackend b 127.0.0.1:9002 backup\n",
             expected: "3:1: every backend is a backup: at least one must be a primary"),
        Case(name: "unknown option with suggestion", text: head + "backend app1 127.0.0.1:9001 wieght=2\n",
             expected: "3:29: unknown option \"wieght\" for \"backend\" (did you mean \"weight\"?)"),
        Case(name: "bad option value", text: head + "backend app1 127.0.0.1:9001 weight=heavy\n",
             expected: "3:29: backend weight: \"heavy\" is not an integer"),
        Case(name: "option given twice", text: head + "backend app1 127.0.0.1:9001 weight=1 weight=2\n",
             expected: "3:38: option \"weight\" given twice"),
        Case(name: "bad enum word", text: head + backend + "balance least_connections\n",
             expected: "4:9: balance: \"least_connections\" is not one of round_robin, least_conn"),
        Case(name: "unterminated quote", text: head + backend + "app_cookie \"JSESSIONID\n",
             expected: "4:12: unterminated quoted string"),
        Case(name: "duplicate single directive", text: head + backend + "workers 1\nworkers 2\n",
             expected: "5:1: duplicate directive \"workers\" (first on line 4)"),
        Case(name: "duplicate listen", text: head + "listen 127.0.0.1:8080\n" + backend,
             expected: "3:1: duplicate listen address 127.0.0.1:8080 (first on line 1)"),
        Case(name: "bad status range", text: head + backend + "health_check status=500-200\n",
             expected: "4:14: health_check status: \"500-200\" is not a status range like 200-399"),
        Case(name: "TLS listener without cert", text: "listen 127.0.0.1:8443 tls\nhash_secret \"0123456789abcdef\"\n" + backend,
             expected: "1:1: TLS listener 127.0.0.1:8443 needs cert=PATH"),
        Case(name: "TLS keys do not pair with certs", text: "listen 127.0.0.1:8443 tls cert=/a.pem,/b.pem key=/a.key\nhash_secret \"0123456789abcdef\"\n" + backend,
             expected: "1:1: TLS listener 127.0.0.1:8443 names 2 cert= file(s) but a different number of key= files"),
        Case(name: "TLS and redirect on one listener", text: "listen 127.0.0.1:8443 tls cert=/a.pem redirect_https\nhash_secret \"0123456789abcdef\"\n" + backend,
             expected: "1:1: listener 127.0.0.1:8443 has both tls and redirect_https"),
        Case(name: "backend name unfit for a cookie", text: head + "backend \"app one\" 127.0.0.1:9001\n",
             expected: "3:1: backend name \"app one\" cannot go in the affinity cookie (no spaces, quotes, commas, semicolons or backslashes); rename it or give it a route="),
        Case(name: "a route that is another backend's name", text: head + backend + "backend app2 127.0.0.1:9002 route=app1\n",
             expected: "4:1: backend \"app2\" and backend \"app1\" would both be \"app1\" in the affinity cookie (a route is a backend's identity there, else its name)"),
        Case(name: "public admin without a token", text: head + backend + "admin 0.0.0.0:9090\n",
             expected: "4:1: admin 0.0.0.0:9090 can be reached from other hosts and has no token: anyone there could drain or disable backends; add token=SECRET (at least 8 characters), or insecure=on to accept that"),
        Case(name: "read_token without a token", text: head + backend + "admin 127.0.0.1:9090 read_token=\"reader-token-1\"\n",
             expected: "4:1: admin read_token needs a token too: without one, anyone may change what read_token only lets them read"),
        Case(name: "read_token equal to the token", text: head + backend + "admin 127.0.0.1:9090 token=\"same-token-1\" read_token=\"same-token-1\"\n",
             expected: "4:1: admin read_token is the same as token: give it its own value"),
        Case(name: "short read_token", text: head + backend + "admin 127.0.0.1:9090 token=\"admin-token-1\" read_token=\"short\"\n",
             expected: "4:1: admin read_token is 5 characters; use at least 8"),
        Case(name: "unknown access log field", text: head + backend + "access_log stdout format=status,agent\n",
             expected: "4:1: access_log format: unknown field \"agent\"; use standard, combined, json, or a comma-separated list of: client, time, request"),
        Case(name: "unknown log level", text: head + backend + "log_level loud\n",
             expected: "4:11: "),
        Case(name: "admin on a LAN address without a token", text: head + backend + "admin 10.0.0.5:9090\n",
             expected: "4:1: admin 10.0.0.5:9090 can be reached from other hosts and has no token"),
    ]

    /// Loopback needs no token; anything else needs one, or `insecure` said.
    @Test func adminAddressesThatNeedNoToken() throws {
        for line in ["admin 127.0.0.1:9090", "admin 127.8.9.10:9090", "admin [::1]:9090", "admin localhost:9090",
                     "admin 0.0.0.0:9090 token=\"long-enough-token\"", "admin 0.0.0.0:9090 insecure", "admin [::]:9090 insecure=on"] {
            let c = try ConfigParser.parse(Self.head + Self.backend + line + "\n", file: "proxy.conf").get()
            #expect(c.admin.exposureProblem == nil, "\(line)")
        }
        guard case .failure = ConfigParser.parse(Self.head + Self.backend + "admin [::]:9090\n", file: "proxy.conf") else {
            Issue.record("accepted [::] with no token")
            return
        }
    }

    @Test(arguments: cases)
    func reportsLineColumnAndMessage(_ c: Case) {
        switch ConfigParser.parse(c.text, file: "proxy.conf") {
        case .success:
            Issue.record("accepted a broken configuration")
        case .failure(let errors):
            let first = errors.errors.first.map { "\($0.line):\($0.column): \($0.message)" } ?? ""
            #expect(first.hasPrefix(c.expected), "got \(first)")
            #expect(errors.errors.first?.description.hasPrefix("proxy.conf:\(c.expected)") == true)
        }
    }

    @Test func everyErrorIsReportedNotJustTheFirst() throws {
        let text = "listen 127.0.0.1:8080\nworkers x\nheader_timeout 0\nbackend a 127.0.0.1:1 weight=0\nbalance fastest\nrouting balanced\n"
        guard case .failure(let errors) = ConfigParser.parse(text, file: "p.conf") else {
            Issue.record("accepted")
            return
        }
        #expect(errors.errors.map(\.line) == [2, 3, 4, 5])
    }
}
