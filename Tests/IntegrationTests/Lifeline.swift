import Foundation
import Glibc

/// Ties every server a test starts (tether, demo-backend, redis-server,
/// Python's http.server, Tomcat) to the life of the test process, so that
/// none outlives the suite: not when a test fails, traps, or the runner is
/// killed. `PR_SET_PDEATHSIG` would not do: it fires when the *thread* that
/// started the child ends, and Foundation starts children from Dispatch
/// worker threads, which come and go.
///
/// The child runs under `Servers/lifeline.sh` with, as standard input, the
/// read end of a pipe whose write end only this process holds (close-on-exec,
/// so no child inherits it). When this process ends, however it ends, the
/// kernel closes the write end and the script's watcher kills the server.
enum Lifeline {
    private static let readEnd: Int32 = {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { fatalError("pipe: \(errno)") }
        // (Glibc's module has no pipe2. Another thread's spawn between these
        // lines could inherit the write end; Foundation closes descriptors
        // above 2 in the children it starts, which covers that window.)
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return fds[0]  // fds[1], the write end, stays open until this process ends
    }()

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Servers/lifeline.sh").path

    /// Makes `p` run `executable arguments` on the lifeline.
    static func attach(_ p: Process, executable: String, arguments: [String]) {
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [script, executable] + arguments
        p.standardInput = FileHandle(fileDescriptor: readEnd, closeOnDealloc: false)
    }
}
