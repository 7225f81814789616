import Foundation
import Glibc

/// The `tether` binary as a child process: the tests see exactly what an
/// operator runs, and its memory can be read from /proc.
final class TetherProcess: @unchecked Sendable {
    let process = Process()
    private(set) var port = 0
    private let stderrPipe = Pipe()
    private let lock = NSLock()
    private var stderrText = ""
    private let started = DispatchSemaphore(value: 0)
    private let output = NSCondition()

    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["TETHER_BIN"] { return URL(fileURLWithPath: path) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/tether")
    }

    /// Starts tether on a free port and waits for its "listening" line.
    convenience init(backends: [String], extra: [String] = []) throws {
        var args = ["run", "--listen", "127.0.0.1:0", "--workers", "2", "--access-log", "off"]
        for b in backends { args += ["--backend", b] }
        try self.init(arguments: args + extra)
    }

    /// Starts `tether run --config PATH`.
    convenience init(configFile: String, extra: [String] = []) throws {
        try self.init(arguments: ["run", "--config", configFile] + extra)
    }

    /// `wrapper`: a command that execs tether with the rest (e.g. `prlimit --nofile=40:40`).
    init(arguments: [String], wrapper: [String] = []) throws {
        if let launcher = wrapper.first {
            Lifeline.attach(process, executable: launcher, arguments: Array(wrapper.dropFirst()) + [Self.binary.path] + arguments)
        } else {
            Lifeline.attach(process, executable: Self.binary.path, arguments: arguments)
        }
        process.standardError = stderrPipe
        process.standardOutput = FileHandle.nullDevice
        stderrPipe.fileHandleForReading.readabilityHandler = { [weak self] h in
            guard let self else { return }
            let data = h.availableData
            if data.isEmpty {
                h.readabilityHandler = nil
                self.started.signal()
                return
            }
            let text = String(decoding: data, as: UTF8.self)
            self.lock.withLock { self.stderrText += text }
            self.output.lock()
            self.output.broadcast()
            self.output.unlock()
            if self.portFromLog() != nil { self.started.signal() }
        }
        try process.run()
        guard started.wait(timeout: .now() + 30) == .success, let p = portFromLog() else {
            process.terminate()
            throw TetherError.didNotStart(stderr)
        }
        port = p
    }

    enum TetherError: Error { case didNotStart(String) }

    var stderr: String { lock.withLock { stderrText } }

    /// Waits (without polling) until tether has written `text` to stderr
    /// (after the last occurrence of `after`, when given).
    @discardableResult
    func waitForStderr(containing text: String, after: String? = nil, timeout: TimeInterval = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        func seen() -> Bool {
            let all = stderr
            guard let after else { return all.contains(text) }
            guard let mark = all.range(of: after, options: .backwards) else { return false }
            return all[mark.upperBound...].contains(text)
        }
        output.lock()
        defer { output.unlock() }
        while !seen() {
            if !output.wait(until: deadline) { return seen() }
        }
        return true
    }

    private func portFromLog() -> Int? {
        let text = lock.withLock { stderrText }
        guard let r = text.range(of: "listening on port ") else { return nil }
        let digits = text[r.upperBound...].prefix { $0.isNumber }
        return Int(digits)
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// CPU time used so far (user + system), in clock ticks.
    var cpuTicks: Int {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return -1 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)  // utime, stime (fields 14 and 15)
    }

    /// Current resident memory (VmRSS) in bytes.
    var rss: Int { memoryField("VmRSS:") }

    /// Peak resident memory (VmHWM) in bytes: what it ever took, not just now.
    var peakRSS: Int { memoryField("VmHWM:") }

    /// A `/proc/PID/status` field given in kB, in bytes; -1 when unreadable.
    private func memoryField(_ name: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name) }),
            let kb = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return -1 }
        return kb * 1024
    }

    func signal(_ sig: Int32) {
        kill(process.processIdentifier, sig)
    }

    /// Waits for exit; returns the status or nil on timeout.
    func waitForExit(timeout: TimeInterval) -> Int32? {
        Await.until(timeout: timeout) { !process.isRunning } ? process.terminationStatus : nil
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}

/// curl as the client, as users will run it.
enum Curl {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    @discardableResult
    static func run(_ args: [String], timeout: TimeInterval = 120) throws -> Result {
        try run(executable: "/usr/bin/curl", ["-sS", "--max-time", String(Int(timeout))] + args)
    }

    /// Runs a client program to its end and returns what it printed.
    static func run(executable: String, _ args: [String]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// `curl -w '%{http_code}'` with the body discarded.
    static func status(_ args: [String]) throws -> Int {
        let r = try run(["-o", "/dev/null", "-w", "%{http_code}"] + args)
        return Int(r.stdout) ?? -1
    }
}

/// A raw TCP client for what curl will not send: malformed heads, pipelining,
/// trickled bytes.
final class RawClient: @unchecked Sendable {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, 16) } }
        guard rc == 0 else { throw POSIXError(.ECONNREFUSED) }
        var tv = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    func sendBytes(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Reads one byte at a time up to the end of a head (CRLF CRLF), so
    /// that nothing after it is taken from the socket.
    func readHead() -> String {
        var out: [UInt8] = []
        var byte: UInt8 = 0
        while !(out.count >= 4 && out.suffix(4) == [13, 10, 13, 10]) {
            guard read(fd, &byte, 1) == 1 else { break }
            out.append(byte)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Reads exactly `n` bytes (fewer if the peer closes first).
    func readExactly(_ n: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: n)
        var got = 0
        while got < n {
            let r = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, n - got) }
            if r <= 0 { break }
            got += r
        }
        return Array(out[0..<got])
    }

    /// Reads until the peer closes (or the 30 s receive timeout).
    func readToEnd() -> String {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Reads until `count` complete responses with Content-Length have arrived.
    func readResponses(_ count: Int) -> [String] {
        var text = ""
        var buf = [UInt8](repeating: 0, count: 65536)
        while Self.split(text).count < count {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            text += String(decoding: buf[0..<n], as: UTF8.self)
        }
        return Self.split(text)
    }

    /// Splits concatenated responses that carry Content-Length.
    static func split(_ text: String) -> [String] {
        var out: [String] = []
        var rest = Substring(text)
        while let headEnd = rest.range(of: "\r\n\r\n") {
            let head = rest[..<headEnd.upperBound]
            var length = 0
            for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
                length = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
            }
            guard rest[headEnd.upperBound...].utf8.count >= length else { break }
            let bodyEnd = rest.utf8.index(headEnd.upperBound, offsetBy: length)
            out.append(String(rest[..<bodyEnd]))
            rest = rest[bodyEnd...]
        }
        return out
    }
}
