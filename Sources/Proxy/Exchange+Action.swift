import Stats

extension Exchange {
    /// What the session does next. One per event: the session carries it
    /// out and reports what came of it.
    enum Action: Equatable {
        /// Nothing now: more client bytes, or the backend's next event.
        case wait
        /// The head is parsed: route it, then report `routed`.
        case route
        /// Send the request to `backend`: on a pooled connection, or a new
        /// one when `fresh`, beginning with `carry`. Without a free slot
        /// the session queues it (`queued`), then reports `admitted`.
        case connect(backend: Int, fresh: Bool, carry: Carry)
        /// The backend failed before any of the request reached it: ask the
        /// router for the next backend in the session's order, then report
        /// `failedOver(to:)`, or `giveUp` when there is none.
        case failOver(carry: Carry)
        /// Relay the client's buffered body bytes to the backend.
        case pumpBody
        /// Tether answers with its own response for this cause
        /// (`writeAnswer`), logs it and closes.
        case answer(LocalAnswer)
        /// Tether's own response (a redirect) is in the output: log it, close.
        case answered
        /// The `101` is in the output: hand both connections to a `Tunnel`.
        case tunnel
        /// Reset the client connection: part of the response went out and
        /// the rest will not come, and a cut response must never look whole.
        /// The request is logged with its `termination`.
        case reset
    }

    /// How an exchange ends when its response is whole.
    struct Finish: Equatable {
        /// The backend connection goes back to the pool.
        var reuseBackend: Bool
        /// The client connection waits for its next request.
        var keepClient: Bool
        /// The request was read to its end: nothing of it can still be on
        /// the way, so closing needs no lingering.
        var requestReadWhole: Bool
    }

    /// What a backend failure comes to.
    struct FailureOutcome: Equatable {
        var action: Action
        /// Passive health counts it against the backend.
        var blamesBackend: Bool
        /// A line for the operator (timeouts and refusals show in the
        /// health log and the counters; these would not).
        var note: Note?
    }

    enum Note: Equatable {
        case answered(LocalAnswer)
        case cut(afterBodyBytes: Int)
    }

    /// The chosen backend and what the session's key says about it.
    struct Route: Equatable {
        var backend: Int
        var keyHash: UInt64?
        var issueCookie: Bool
        /// Request bytes the backend must not see (a sealed cookie prefix).
        var strip: Range<Int>? = nil
        /// When the session began (a dated seal's first date; 0: none).
        var since: UInt32 = 0
        /// The response clears the affinity cookie (pinning ended).
        var clearCookie = false
    }

    /// The connection a failed request was on.
    struct Attempt {
        /// A response byte of this request arrived.
        var receivedForRequest = false
        /// It came from the pool (it served a request before).
        var reusedConnection = false
        /// What was queued for it and never sent.
        var queued = Carry.head
    }
}
