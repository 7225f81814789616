import COpenSSL
import Glibc

/// A certificate chain and its key, read from PEM files and checked the way
/// an operator wants to hear about it: the file that cannot be read, the key
/// that belongs to another certificate, the date a certificate expired.
enum CertificateFile {
    /// Loads `cert` (leaf first, then intermediates) and `key` into `ctx`.
    static func install(cert: String, key: String, into ctx: OpaquePointer) throws(TLSSetupError) {
        try checkReadable(cert)
        if key != cert { try checkReadable(key) }
        OpenSSLErrors.clear()
        guard SSL_CTX_use_certificate_chain_file(ctx, cert) == 1 else {
            throw .noCertificate(file: cert, reason: OpenSSLErrors.drain())
        }
        guard let leaf = SSL_CTX_get0_certificate(ctx) else {
            throw .noCertificate(file: cert, reason: "no certificate in the file")
        }
        var t = time(nil)
        if let notAfter = X509_get0_notAfter(leaf), X509_cmp_time(notAfter, &t) < 0 {
            throw .expired(file: cert, notAfter: Self.text(notAfter))
        }
        if let notBefore = X509_get0_notBefore(leaf), X509_cmp_time(notBefore, &t) > 0 {
            throw .notYetValid(file: cert, notBefore: Self.text(notBefore))
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, key, tether_SSL_FILETYPE_PEM) == 1 else {
            let reason = OpenSSLErrors.drain()
            // OpenSSL compares a key with the certificate as it loads it.
            if reason == "key values mismatch" { throw .keyMismatch(cert: cert, key: key) }
            throw .badKey(file: key, reason: reason)
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            OpenSSLErrors.clear()
            throw .keyMismatch(cert: cert, key: key)
        }
    }

    /// `fopen` first, so that a missing file or a permission problem is
    /// reported as such rather than as an OpenSSL parse error.
    private static func checkReadable(_ path: String) throws(TLSSetupError) {
        guard let f = fopen(path, "r") else {
            throw .unreadable(file: path, reason: String(cString: strerror(errno)))
        }
        fclose(f)
    }

    /// `2026-11-29 12:00:00 UTC`.
    static func text(_ t: UnsafePointer<ASN1_TIME>) -> String {
        var tm = Glibc.tm()
        guard ASN1_TIME_to_tm(t, &tm) == 1 else { return "an unreadable date" }
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(tm.tm_year + 1900)-\(two(tm.tm_mon + 1))-\(two(tm.tm_mday)) \(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)) UTC"
    }
}
