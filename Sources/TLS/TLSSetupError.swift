/// Why a listener's TLS context could not be built. Each case names the file
/// an operator has to fix, so `tether check`, start-up and a failed reload
/// all say the same thing.
public enum TLSSetupError: Error, CustomStringConvertible, Equatable {
    case unreadable(file: String, reason: String)
    case noCertificate(file: String, reason: String)
    case badKey(file: String, reason: String)
    case keyMismatch(cert: String, key: String)
    case expired(file: String, notAfter: String)
    case notYetValid(file: String, notBefore: String)
    case ciphers(String, reason: String)
    case openSSL(String)

    public var description: String {
        switch self {
        case .unreadable(let f, let r): return "\(f): cannot read: \(r)"
        case .noCertificate(let f, let r): return "\(f): no usable PEM certificate: \(r)"
        case .badKey(let f, let r): return "\(f): no usable PEM private key: \(r)"
        case .keyMismatch(let c, let k): return "\(k): private key does not match the certificate in \(c)"
        case .expired(let f, let d): return "\(f): certificate expired on \(d)"
        case .notYetValid(let f, let d): return "\(f): certificate is not valid before \(d)"
        case .ciphers(let list, let r): return "ciphers \"\(list)\": \(r)"
        case .openSSL(let r): return "OpenSSL: \(r)"
        }
    }
}
