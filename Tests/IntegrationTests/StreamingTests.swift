import Foundation
import Testing

/// 256 MiB each way through the proxy: the bytes must match and the proxy's
/// memory must stay bounded (it streams; it never holds a body).
@Suite(.serialized) struct StreamingTests {
    static let size = 256 * 1024 * 1024
    /// Far below the 256 MiB bodies, so that only streaming passes. Under a
    /// sanitizer (scripts/test.sh --sanitize sets TETHER_SANITIZER) the
    /// runtime's own shadow memory and quarantine come on top: 128 MiB.
    static let memoryCeiling = (ProcessInfo.processInfo.environment["TETHER_SANITIZER"] == nil ? 64 : 128) * 1024 * 1024

    @Test func largeUploadStreamsWithBoundedMemory() throws {
        let backend = try TestBackend()
        defer { backend.stop() }
        let tether = try TetherProcess(backends: [backend.address])
        let file = try TempFile(pattern: Self.size)
        let r = try Curl.run(["-T", file.path, "-X", "POST", "\(tether.url)/sink"], timeout: 300)
        #expect(r.stdout == "\(Self.size) \(PatternStream.sha256(length: Self.size))\n")
        let rss = tether.peakRSS
        #expect(rss > 0 && rss < Self.memoryCeiling, "peak RSS \(rss) bytes")
    }

    @Test func largeDownloadStreamsWithBoundedMemory() throws {
        let backend = try TestBackend()
        defer { backend.stop() }
        let tether = try TetherProcess(backends: [backend.address])
        let out = TempFile(emptyNamed: "download")
        let r = try Curl.run(["-o", out.path, "\(tether.url)/bytes/\(Self.size)"], timeout: 300)
        #expect(r.status == 0)
        let sum = try Curl.shell("sha256sum \(out.path) | cut -d' ' -f1")
        #expect(sum == PatternStream.sha256(length: Self.size))
        let rss = tether.peakRSS
        #expect(rss > 0 && rss < Self.memoryCeiling, "peak RSS \(rss) bytes")
    }
}

extension Curl {
    /// A shell pipeline's trimmed output (sha256sum and friends).
    static func shell(_ command: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
