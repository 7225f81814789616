/// `request_id`: whether requests carry an `X-Request-ID` to the backend and
/// back to the client, and whether a client's own is kept.
public enum RequestIDMode: String, Sendable, Equatable {
    case off
    /// Tether makes one for every request; a client's is replaced.
    case on
    /// A client's well-formed id is kept (a trusted hop made it); otherwise
    /// Tether makes one.
    case trust
}
