import EventLoop
import Glibc
import RESP

/// A blocking Redis connection for the demo app (with a 2 s socket timeout).
final class RESPClient {
    private let address: SocketAddress
    private var fd: Int32 = -1
    private var buffer: [UInt8] = []

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(url: String) throws {
        guard url.hasPrefix("redis://") else { throw Failure(description: "store \(url) is not redis://host:port") }
        do { address = try SocketAddress(parsing: String(url.dropFirst(8))) } catch {
            throw Failure(description: error.description)
        }
    }

    func command(_ parts: [String]) throws -> RESPValue {
        // One reconnect: Redis may have been restarted since the last command.
        do { return try send(parts) } catch {
            disconnect()
            return try send(parts)
        }
    }

    private func send(_ parts: [String]) throws -> RESPValue {
        if fd < 0 { try connect() }
        let bytes = RESP.encode(parts)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + off, bytes.count - off, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "write to redis failed") }
            off += n
        }
        while true {
            if let (value, used) = try? RESP.parse(buffer[...]) {
                buffer.removeFirst(used)
                return value
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw Failure(description: "redis closed the connection") }
            buffer += chunk[0..<n]
        }
    }

    private func connect() throws {
        let s = socket(address.domain, Int32(SOCK_STREAM.rawValue), 0)
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        guard address.connectBlocking(s) else {
            close(s)
            throw Failure(description: "cannot connect to redis at \(address)")
        }
        fd = s
        buffer.removeAll()
    }

    private func disconnect() {
        if fd >= 0 { close(fd) }
        fd = -1
    }
}
