import Foundation
import Glibc
import Testing

/// The access log as tools read it: `combined` through GoAccess (what
/// people run over nginx logs), `json` through jq, line by line; request
/// ids end to end; the termination cause of each way an exchange ends;
/// and the event log's levels, JSON and graceful-stop outcome.
@Suite(.serialized) struct AccessLogTests {
    struct Site {
        let tether: TetherProcess
        let port: Int
        let admin: Int
        let file: TempFile
        let log: TempFile
        var url: String { "http://127.0.0.1:\(port)" }

        /// The log's lines once `count` are there (the loops hand lines
        /// over every 100 ms tick).
        func lines(_ count: Int, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
            var lines: [String] = []
            let seen = Await.until(timeout: 10) {
                lines = ((try? String(contentsOfFile: log.path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
                return lines.count >= count
            }
            #expect(seen, "the log has \(lines.count) lines, not \(count)", sourceLocation: sourceLocation)
            return lines
        }
    }

    static func site(_ lines: String, workers: Int = 1) throws -> Site {
        let port = try TestBackend.unusedPort()
        let admin = try TestBackend.unusedPort()
        let log = TempFile(emptyNamed: "access.log")
        let file = TempFile(emptyNamed: "accesslog.conf")
        let text = "listen 127.0.0.1:\(port)\nadmin 127.0.0.1:\(admin)\nworkers \(workers)\nrouting balanced\nhealth_check enabled=off\n"
            + lines.replacingOccurrences(of: "LOG", with: log.path)
        try text.write(toFile: file.path, atomically: true, encoding: .utf8)
        return Site(tether: try TetherProcess(configFile: file.path), port: port, admin: admin, file: file, log: log)
    }

    /// jq over one line: its output, trimmed.
    static func jq(_ filter: String, _ line: String) throws -> String {
        let input = TempFile(emptyNamed: "line.json")
        try line.write(toFile: input.path, atomically: true, encoding: .utf8)
        let r = try Curl.run(executable: "/usr/bin/env", ["jq", "-r", filter, input.path])
        #expect(r.status == 0, "jq \(filter): \(r.stderr) on \(line)")
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func combinedLogIsReadByGoAccess() throws {
        let app = try ExternalServer.python("stdlib_http_server.py")
        defer { app.stop() }
        let s = try Self.site("access_log LOG format=combined\nbackend app \(app.address)\n")
        // 23 requests by curl, paths and agents varied (one agent with a
        // quote, which the log escapes), and one bad request Tether answers.
        for i in 0..<23 {
            let r = try Curl.run([
                "-s", "-o", "/dev/null", "-A", i % 5 == 0 ? "Mozilla/5.0 \"quoted\" (X11)" : "curl-test/\(i)",
                "-e", "http://ref.example/page\(i % 3)", "\(s.url)/page/\(i % 4)",
            ])
            #expect(r.status == 0)
        }
        #expect(try ErrorCauseTests.statusLine(s.port, "GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n") == "HTTP/1.1 400 Bad Request")
        let lines = s.lines(24)
        #expect(lines.count == 24)
        let common = try Regex(#"^127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET /page/\d HTTP/1\.1" 200 \d+ "http://ref\.example/page\d" "[^"]*(\\x22[^"]*)*"$"#)
        #expect(lines.filter { $0.contains(common) }.count == 23, "\(lines)")
        #expect(lines.contains { $0.contains(#""Mozilla/5.0 \x22quoted\x22 (X11)""#) }, "a quote in a field is escaped as nginx does")
        #expect(lines.contains { $0.hasSuffix(#" 400 12 "-" "-""#) }, "Tether's own 400 is a line too")

        let report = TempFile(emptyNamed: "goaccess.json")
        let r = try Curl.run(executable: "/usr/bin/env", ["goaccess", s.log.path, "--log-format=COMBINED", "--no-global-config", "-o", report.path])
        #expect(r.status == 0, "goaccess: \(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report.path))) as? [String: Any]
        let general = try #require(json?["general"] as? [String: Any], "\(r.stderr)")
        #expect(general["total_requests"] as? Int == 24, "\(general)")
        #expect(general["valid_requests"] as? Int == 24, "GoAccess read every line: \(general)")
        #expect(general["failed_requests"] as? Int == 0)
        let statuses = try #require(json?["status_codes"] as? [String: Any])
        let items = try #require(statuses["data"] as? [[String: Any]])
        let counts = Dictionary(uniqueKeysWithValues: items.compactMap { item -> (String, Int)? in
            guard let name = item["data"] as? String, let hits = (item["hits"] as? [String: Any])?["count"] as? Int else { return nil }
            return (String(name.prefix(3)), hits)
        })
        #expect(counts["2xx"] == 23 && counts["4xx"] == 1, "\(counts)")
    }

    @Test func jsonLinesHaveEveryFieldAndARequestIDEndToEnd() throws {
        let app = try ExternalServer.python("stdlib_http_server.py")
        defer { app.stop() }
        let s = try Self.site("access_log LOG format=json\nrequest_id trust\nbackend app \(app.address)\n")
        // A request id Tether made: sent to the backend, returned to the client, logged.
        let made = try Curl.run(["-s", "-D", "-", "-A", "agent/1", "-e", "http://ref.example/", "\(s.url)/header/X-Request-ID"])
        let returned = try #require(made.stdout.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("x-request-id: ") })
        let id = String(returned.dropFirst("x-request-id: ".count))
        #expect(id.count == 32 && id.allSatisfy(\.isHexDigit), "\(id)")
        #expect(made.stdout.hasSuffix("\r\n\r\n" + id), "the backend saw the same id: \(made.stdout)")
        // A trusted client's own id is kept (and only one reaches the backend).
        let kept = try Curl.run(["-s", "-H", "X-Request-ID: trace-42", "\(s.url)/header/X-Request-ID"])
        #expect(kept.stdout == "trace-42")
        // One that could forge a log line is not.
        let replaced = try Curl.run(["-s", "-H", "X-Request-ID: a\"b", "\(s.url)/header/X-Request-ID"])
        #expect(replaced.stdout.count == 32 && replaced.stdout != "a\"b")

        let lines = s.lines(3)
        for line in lines {
            let r = try Curl.run(executable: "/usr/bin/env", ["python3", "-c", "import json,sys; json.loads(sys.argv[1])", line])
            #expect(r.status == 0, "python3 reads it as JSON: \(line)")
        }
        let first = try #require(lines.first { $0.contains(id) })
        #expect(try Self.jq(".status, .upstream_status, .backend, .request_id, .user_agent, .referer, .retries, .termination, .reason, .tls_version", first)
            == "200\n200\napp\n\(id)\nagent/1\nhttp://ref.example/\n0\nok/done\nnull\nnull")
        #expect(try Self.jq(".request, .client", first) == "GET /header/X-Request-ID HTTP/1.1\n127.0.0.1")
        #expect(try Self.jq("(.connect_ms >= 0) and (.first_byte_ms >= .connect_ms) and (.total_ms >= .first_byte_ms) and (.bytes_sent == 32) and (.bytes_received > 50)", first) == "true")
        #expect(try Self.jq(#".time | test("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$")"#, first) == "true")
        #expect(lines.contains { (try? Self.jq(".request_id", $0)) == "trace-42" })
    }

    /// Who ended each exchange, and when: one line per way to end.
    @Test func terminationSaysWhoEndedItAndWhen() throws {
        let app = try ExternalServer.python("stdlib_http_server.py")
        defer { app.stop() }
        let dead = try TestBackend.unusedPort()
        let s = try Self.site("""
            access_log LOG format=client,status,upstream_status,backend,termination,reason,request
            header_timeout 300ms
            retries 0
            backend app \(app.address)
            backend gone 127.0.0.1:\(dead)
            """)
        // Round-robin: the first request goes to app, the second to gone.
        #expect(try Curl.run(["-s", "\(s.url)/a"]).stdout.hasPrefix("/a "))
        #expect(try Curl.run(["-s", "-o", "/dev/null", "-w", "%{http_code}", "\(s.url)/b"]).stdout == "502")
        // A client that leaves while the backend thinks (app again). One
        // that only half-closes still gets its answer (HTTP/1.1 allows it).
        do {
            let c = try RawClient(port: s.port)
            c.send("GET /sleep/600 HTTP/1.1\r\nHost: x\r\n\r\n")
            Thread.sleep(forTimeInterval: 0.2)  // the request is at the backend: what it measures is the client leaving then
            var reset = linger(l_onoff: 1, l_linger: 0)  // a reset, as a browser that navigates away
            setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &reset, socklen_t(MemoryLayout<linger>.size))
        }  // closed here
        // A head that never ends, and a bad one.
        let slow = try RawClient(port: s.port)
        slow.send("GET /never HTTP/1.1\r\nHost: x\r\n")
        #expect(slow.readToEnd().hasPrefix("HTTP/1.1 408 "))
        #expect(try ErrorCauseTests.statusLine(s.port, "GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n") == "HTTP/1.1 400 Bad Request")
        let lines = Set(s.lines(5))
        #expect(lines == [
            #"127.0.0.1 200 200 app ok/done - "GET /a HTTP/1.1""#,
            #"127.0.0.1 502 - gone backend_closed/connect backend_refused "GET /b HTTP/1.1""#,
            #"127.0.0.1 499 - app client_closed/wait - "GET /sleep/600 HTTP/1.1""#,
            #"127.0.0.1 408 - - client_timeout/request header_timeout "GET /never HTTP/1.1""#,
            #"127.0.0.1 400 - - client_error/request bad_header "GET / HTTP/1.1""#,
        ], "\(lines)")
    }

    /// A graceful stop that runs out of time says what it cut, and the cut
    /// request has its line; the event log in JSON, filtered by level.
    @Test func gracefulStopOutcomeAndJSONEventLog() throws {
        let app = try ExternalServer.python("stdlib_http_server.py")
        defer { app.stop() }
        let s = try Self.site("""
            access_log LOG format=status,termination,request
            log_format json
            log_level warning
            graceful_stop_timeout 300ms
            backend app \(app.address)
            """)
        // Info lines (start-up, a 400 Tether answered) are below the level.
        #expect(try ErrorCauseTests.statusLine(s.port, "GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n") == "HTTP/1.1 400 Bad Request")
        let c = try RawClient(port: s.port)
        c.send("GET /sleep/3000 HTTP/1.1\r\nHost: x\r\n\r\n")
        Thread.sleep(forTimeInterval: 0.2)  // at the backend when the stop begins
        s.tether.signal(SIGTERM)
        #expect(s.tether.waitForExit(timeout: 10) == 0)
        let lines = s.tether.stderr.split(separator: "\n").map(String.init)
        var events: [[String: String]] = []
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
            events.append(try #require(object, "every event line is a JSON object: \(line)"))
        }
        // Start-up lines are written whatever the level; nothing else below it.
        #expect(events.allSatisfy { ($0["event"] == "startup" || ["warning", "error"].contains($0["level"])) && $0["time"]?.hasSuffix("Z") == true }, "\(events)")
        #expect(events.contains { $0["event"] == "startup" && $0["message"]?.hasPrefix("listeners: ") == true })
        #expect(!events.contains { $0["event"] == "request" }, "the 400 is an info line")
        #expect(events.contains {
            $0["event"] == "stop" && $0["message"] == "graceful stop: graceful_stop_timeout (0.3 seconds) passed: 0 requests finished, 1 cut, 0 tunnels closed"
        }, "\(events)")
        #expect(Set(s.lines(2)) == [#"400 client_error/request "GET / HTTP/1.1""#, #"0 stopped/wait "GET /sleep/3000 HTTP/1.1""#])
    }

    /// A flood of bad requests is counted, not written: at most 10 event
    /// lines a second per loop, and the next line that gets through says
    /// how many it stands for, so lines and counts add up to the requests.
    @Test func aFloodOfBadRequestsIsCountedNotWritten() throws {
        let s = try Self.site("access_log off\nbackend app 127.0.0.1:9\n")
        var sent = 0
        func bad() throws {
            #expect(try ErrorCauseTests.statusLine(s.port, "GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n") == "HTTP/1.1 400 Bad Request")
            sent += 1
        }
        for _ in 0..<40 { try bad() }
        // Until a line past the budget's window reports the rest.
        for _ in 0..<20 where !s.tether.stderr.contains("similar lines suppressed") {
            try bad()
            _ = Await.until(timeout: 0.3) { s.tether.stderr.contains("similar lines suppressed") }
        }
        let lines = s.tether.stderr.split(separator: "\n").filter { $0.contains("400 bad_header for") }
        let suppressed = lines.compactMap { line -> Int? in
            guard let r = line.range(of: #"\((\d+) similar lines suppressed\)"#, options: .regularExpression) else { return nil }
            return Int(line[r].dropFirst().prefix { $0.isNumber })
        }.reduce(0, +)
        #expect(suppressed > 0, "a line reported the suppressed ones")
        #expect(lines.count + suppressed == sent, "\(lines.count) lines + \(suppressed) suppressed for \(sent) requests")
        #expect(lines.count < sent / 2, "\(lines.count) lines for \(sent) bad requests")
    }

    /// Errors Tether answered are event lines with their reason (5xx as
    /// warnings); a reload says what it changed.
    @Test func eventLogNamesErrorsAndReloadChanges() throws {
        let app = try ExternalServer.python("stdlib_http_server.py")
        defer { app.stop() }
        let dead = try TestBackend.unusedPort()
        let s = try Self.site("access_log off\nretries 0\nbackend gone 127.0.0.1:\(dead)\n")
        #expect(try Curl.run(["-s", "-o", "/dev/null", "-w", "%{http_code}", "\(s.url)/x"]).stdout == "502")
        #expect(s.tether.waitForStderr(containing: #"warning: 502 backend_refused for "GET /x HTTP/1.1" from 127.0.0.1 (backend gone): the connection to the backend failed"#))
        try """
            listen 127.0.0.1:\(s.port)
            admin 127.0.0.1:\(s.admin)
            workers 1
            routing balanced
            health_check enabled=off
            access_log off
            retries 0
            backend app \(app.address) weight=2
            backend gone 127.0.0.1:\(dead) weight=3
            """.write(toFile: s.file.path, atomically: true, encoding: .utf8)
        s.tether.signal(SIGHUP)
        #expect(s.tether.waitForStderr(containing: "configuration reloaded"))
        #expect(s.tether.waitForStderr(containing: "backend added: app \(app.address) weight=2"))
        #expect(s.tether.waitForStderr(containing: "backend changed: gone 127.0.0.1:\(dead) -> gone 127.0.0.1:\(dead) weight=3"))
    }
}
