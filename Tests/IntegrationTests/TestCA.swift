import Foundation

/// A throw-away certificate authority made with the `openssl` command at test
/// time: nothing secret is checked in, and every run gets fresh keys.
final class TestCA: @unchecked Sendable {
    let dir: String
    var caPath: String { dir + "/ca.pem" }

    init() throws {
        dir = NSTemporaryDirectory() + "tether-ca-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "".write(toFile: dir + "/index.txt", atomically: true, encoding: .utf8)
        try "01\n".write(toFile: dir + "/serial", atomically: true, encoding: .utf8)
        try """
            [ ca ]
            default_ca = tca
            [ tca ]
            database = index.txt
            new_certs_dir = .
            serial = serial
            default_md = sha256
            policy = anything
            unique_subject = no
            copy_extensions = copy
            [ anything ]
            commonName = supplied

            """.write(toFile: dir + "/ca.cnf", atomically: true, encoding: .utf8)
        try Self.openssl(
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
             "-days", "2", "-subj", "/CN=Tether Test CA"], in: dir)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    struct Issued {
        var cert: String
        var key: String
    }

    /// A leaf certificate for `name` (also its subjectAltName), signed by this CA.
    /// `validity`: `nil` = valid for two days, else (start, end) as `YYYYMMDDHHMMSSZ`.
    @discardableResult
    func issue(_ name: String, file: String? = nil, validity: (String, String)? = nil) throws -> Issued {
        let base = file ?? name
        try Self.openssl(
            ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(base).key", "-out", "\(base).csr",
             "-subj", "/CN=\(name)", "-addext", "subjectAltName=DNS:\(name),IP:127.0.0.1"], in: dir)
        var args = ["ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-in", "\(base).csr", "-out", "\(base).pem", "-notext"]
        if let (start, end) = validity { args += ["-startdate", start, "-enddate", end] } else { args += ["-days", "2"] }
        try Self.openssl(args, in: dir)
        return Issued(cert: "\(dir)/\(base).pem", key: "\(dir)/\(base).key")
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `openssl ARGS` in `dir`; throws with its stderr on failure.
    @discardableResult
    static func openssl(_ args: [String], in dir: String? = nil, stdin: String? = nil, timeout: TimeInterval = 30) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = args
        if let dir { p.currentDirectoryURL = URL(fileURLWithPath: dir) }
        let out = Pipe()
        let input = Pipe()
        p.standardOutput = out
        p.standardError = out
        p.standardInput = input
        try p.run()
        let timer = DispatchWorkItem { if p.isRunning { p.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        timer.cancel()
        let text = String(decoding: data, as: UTF8.self)
        if dir != nil && p.terminationStatus != 0 { throw Failure(description: "openssl \(args.joined(separator: " ")): \(text)") }
        return (p.terminationStatus, text)
    }

    /// `openssl s_client` against 127.0.0.1:`port`, sending `stdin`; status and output.
    static func sClient(port: Int, _ extra: [String], stdin: String = "") throws -> (status: Int32, output: String) {
        try openssl(["s_client", "-connect", "127.0.0.1:\(port)"] + extra, stdin: stdin)
    }
}
