import HTTP1

/// How sticky mode reads a request's keys: sealed cookies and prefixes,
/// hashed application cookies, `.route` suffixes (see `Router`).
extension Router {
    /// An app cookie with a sealed prefix: the backend it names, as a
    /// route suffix would; past it, the value's (unprefixed) hash order.
    func prefixed(_ h: UInt64, home: Int?, _ view: View) -> Decision? {
        if let home, view.existingOK[home] {
            return Decision(backend: home, keyHash: h, issueCookie: false, reason: .appCookie, failedOver: false, home: home)
        }
        guard let target = ring.first(h, where: { $0 != home && view.newOK[$0] }) else { return nil }
        return Decision(backend: target, keyHash: h, issueCookie: true, reason: .appCookie, failedOver: true, home: home)
    }

    /// A sealed session: its backend while that takes existing sessions;
    /// past it (down, maintenance, removed), the first in the nonce's order
    /// that takes new ones, with a new seal.
    func sealed(_ nonce: UInt64, home: Int?, _ view: View) -> Decision? {
        if let home, view.existingOK[home] {
            return Decision(backend: home, keyHash: nonce, issueCookie: false, reason: .affinityCookie, failedOver: false, home: home)
        }
        guard let target = ring.first(nonce, where: { $0 != home && view.newOK[$0] }) else { return nil }
        return Decision(backend: target, keyHash: nonce, issueCookie: true, reason: .affinityCookie, failedOver: true, home: home)
    }

    /// The session's own backend while it takes existing sessions (up or
    /// draining); past it, the next in the session's order that takes *new*
    /// ones: a session that has to move is a new session wherever it lands,
    /// and a draining backend takes none.
    func existing(_ h: UInt64, _ view: View, reason: Reason, alwaysIssue: Bool) -> Decision? {
        let isBackup = self.isBackup
        let top = ring.first(h) { !isBackup[$0] } ?? ring.top(h)
        guard let target = ring.first(h, where: { $0 == top ? view.existingOK[$0] : view.newOK[$0] }) else { return nil }
        let failedOver = target != top
        return Decision(backend: target, keyHash: h, issueCookie: alwaysIssue || failedOver, reason: reason, failedOver: failedOver, home: top)
    }

    func hash(_ buf: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> UInt64 {
        ring.keyHash(UnsafeBufferPointer(rebasing: buf[r]))
    }

    enum RouteSuffix {
        case none
        case backend(Int)
        /// A `.suffix` while routes are configured, naming none of them.
        case unknown
    }

    /// The backend named by a `.route` suffix, if any.
    func routeSuffix(_ buf: UnsafeBufferPointer<UInt8>, _ value: Range<Int>) -> RouteSuffix {
        var dot = value.upperBound - 1
        while dot >= value.lowerBound && buf[dot] != 0x2E { dot -= 1 }
        guard dot >= value.lowerBound else { return .none }
        let suffix = (dot + 1)..<value.upperBound
        if let i = AffinitySeal.index(of: suffix, in: buf, among: routes) { return .backend(i) }
        return !suffix.isEmpty && routes.contains(where: { $0 != nil }) ? .unknown : .none
    }
}
