import Foundation
import Glibc

/// A backend that misbehaves on purpose: for every connection it reads one
/// request head and then plays a script of raw bytes, pauses and endings
/// (close, reset). Connection `n` (from 0) plays `scripts[min(n, last)]`.
final class ScriptedBackend: @unchecked Sendable {
    enum Step {
        case send(String)
        case sendBytes(Int, byte: UInt8 = 0x78)
        case sleep(milliseconds: UInt32)
        /// Read the request body (per its framing) before going on.
        case readBody
        case close
        /// Close with RST (SO_LINGER 0).
        case reset
        /// Serve the next request on the same connection with the same script.
        case again
    }

    let scripts: [[Step]]
    private let listenFD: Int32
    let port: Int
    private let lock = NSLock()
    private var _connections = 0
    private var _requests = 0
    /// `.send` steps played so far, with a condition to wait on.
    private var _sends = 0
    private let sent = NSCondition()

    var connections: Int { lock.withLock { _connections } }
    var requests: Int { lock.withLock { _requests } }
    var address: String { "127.0.0.1:\(port)" }

    /// Waits until `count` `.send` steps (over all connections) have been played.
    func waitForSends(_ count: Int, timeout: TimeInterval = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        sent.lock()
        defer { sent.unlock() }
        while _sends < count {
            if !sent.wait(until: deadline) { return _sends >= count }
        }
        return true
    }

    init(_ scripts: [[Step]]) throws {
        self.scripts = scripts
        (listenFD, port) = try TestBackend.listenOnTestPort()
        Thread { [self] in acceptLoop() }.start()
    }

    func stop() {
        shutdown(listenFD, Int32(SHUT_RDWR))
        close(listenFD)
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listenFD, nil, nil)
            if fd < 0 { return }
            let n = lock.withLock { () -> Int in
                _connections += 1
                return _connections - 1
            }
            let script = scripts[min(n, scripts.count - 1)]
            Thread { [self] in play(script, on: fd) }.start()
        }
    }

    private func play(_ script: [Step], on fd: Int32) {
        var conn = BlockingConnection(fd: fd)
        var closed = false
        defer { if !closed { close(fd) } }
        while true {
            guard let request = conn.readRequest() else { return }
            lock.withLock { _requests += 1 }
            var repeatScript = false
            for step in script {
                switch step {
                case .send(let text):
                    _ = conn.sendRaw(text)
                    sent.lock()
                    _sends += 1
                    sent.broadcast()
                    sent.unlock()
                case .sendBytes(let n, let byte): _ = conn.writeAll([UInt8](repeating: byte, count: n))
                case .sleep(let ms): usleep(ms * 1000)
                case .readBody: _ = conn.readBody(request) { _ in }
                case .close: return
                case .reset:
                    var l = linger(l_onoff: 1, l_linger: 0)
                    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
                    close(fd)
                    closed = true
                    return
                case .again: repeatScript = true
                }
            }
            if !repeatScript { return }
        }
    }
}
