import Foundation
import Glibc
import HTTP1

/// Blocking reads and writes with Tether's own HTTP1 parser doing the framing
/// (the parser is tested on its own; here it only saves writing a second one).
struct BlockingConnection {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    /// The trailer field lines of the last chunked body read (with CRLFs).
    private(set) var trailers: [UInt8] = []

    init(fd: Int32) {
        self.fd = fd
    }

    struct Request {
        var method: String
        var target: String
        var head: String
        var framing: BodyFraming
    }

    private mutating func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    mutating func readRequest() -> Request? {
        // Parsed indices must not move while a head is parsed: drop consumed bytes first.
        buffer.removeFirst(start)
        start = 0
        var parser = RequestParser(limits: HTTPLimits(maxBodySize: .max))
        var head = RequestHead()
        while true {
            let status = buffer.withUnsafeBufferPointer { parser.parse($0, start: start, end: buffer.count, into: &head) }
            switch status {
            case .needMore:
                guard fill() else { return nil }
            case .failed:
                return nil
            case .complete(let end):
                let text = String(decoding: buffer[start..<end], as: UTF8.self)
                let method = String(decoding: buffer[head.methodRange], as: UTF8.self)
                let target = String(decoding: buffer[head.target], as: UTF8.self)
                start = end
                return Request(method: method, target: target, head: text, framing: head.framing)
            }
        }
    }

    /// Streams the body to `sink`; false if the connection broke.
    mutating func readBody(_ r: Request, _ sink: (UnsafeRawBufferPointer) -> Void) -> Bool {
        switch r.framing {
        case .none, .untilClose:
            return true
        case .length(var left):
            while left > 0 {
                if start == buffer.count { guard fill() else { return false } }
                let n = min(left, buffer.count - start)
                buffer.withUnsafeBytes { sink(UnsafeRawBufferPointer(rebasing: $0[start..<(start + n)])) }
                start += n
                left -= n
                if start == buffer.count {
                    buffer.removeAll(keepingCapacity: true)
                    start = 0
                }
            }
            return true
        case .chunked:
            trailers.removeAll()
            var decoder = ChunkedDecoder()
            while true {
                if start == buffer.count { guard fill() else { return false } }
                let event = buffer.withUnsafeBufferPointer { decoder.next($0, start: start, end: buffer.count) }
                switch event {
                case .data(let range):
                    buffer.withUnsafeBytes { sink(UnsafeRawBufferPointer(rebasing: $0[range])) }
                    start = range.upperBound
                    if start == buffer.count {
                        buffer.removeAll(keepingCapacity: true)
                        start = 0
                    }
                case .trailer(let range):
                    trailers += buffer[range]
                    start = range.upperBound
                case .needMore:
                    buffer.removeAll(keepingCapacity: true)
                    start = 0
                case .end(let e):
                    start = e
                    return true
                case .failed:
                    return false
                }
            }
        }
    }

    func sendRaw(_ text: String) -> Bool {
        writeAll(Array(text.utf8))
    }

    func send(status: Int, body: [UInt8]) -> Bool {
        writeAll(Array("HTTP/1.1 \(status) OK\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
    }

    func sendStream(status: Int, length: Int) -> Bool {
        guard writeAll(Array("HTTP/1.1 \(status) OK\r\nContent-Length: \(length)\r\n\r\n".utf8)) else { return false }
        var stream = PatternStream()
        var block = [UInt8](repeating: 0, count: 1 << 16)
        var left = length
        while left > 0 {
            stream.fill(&block)
            let n = min(left, block.count)
            guard writeAll(Array(block[0..<n])) else { return false }
            left -= n
        }
        return true
    }

    func writeAll(_ bytes: [UInt8]) -> Bool {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + off, bytes.count - off, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            off += n
        }
        return true
    }
}
