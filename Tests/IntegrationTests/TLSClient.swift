import COpenSSL
import Foundation
import Glibc

/// A blocking TLS client over a loopback socket, for what the `openssl` and
/// `curl` commands cannot do mid-connection: a TLS 1.3 KeyUpdate between two
/// requests, or a keep-alive connection that outlives a reload.
final class TLSClient {
    let raw: RawClient
    private let ctx: OpaquePointer
    private let ssl: OpaquePointer

    init(port: Int, caFile: String, serverName: String = "localhost") throws {
        raw = try RawClient(port: port)
        ctx = SSL_CTX_new(TLS_client_method())!
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        SSL_CTX_load_verify_locations(ctx, caFile, nil)
        ssl = SSL_new(ctx)!
        SSL_set_fd(ssl, raw.fd)
        _ = tether_SSL_set_tlsext_host_name(ssl, serverName)
        guard SSL_connect(ssl) == 1 else {
            ERR_clear_error()
            throw TestCA.Failure(description: "TLS handshake failed")
        }
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(ctx)
    }

    var version: String { String(cString: SSL_get_version(ssl)) }

    func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) } == Int32(bytes.count)
    }

    /// Reads one response that carries Content-Length.
    func readResponse() -> String? {
        var text = ""
        var buf = [UInt8](repeating: 0, count: 16384)
        while RawClient.split(text).isEmpty {
            let n = buf.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            if n <= 0 { return nil }
            text += String(decoding: buf[0..<Int(n)], as: UTF8.self)
        }
        return RawClient.split(text).first
    }

    func get(_ path: String) -> String? {
        guard send("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n") else { return nil }
        return readResponse()
    }

    /// Asks the server to update its traffic keys too (TLS 1.3 KeyUpdate, update_requested).
    func requestKeyUpdate() -> Bool {
        SSL_key_update(ssl, tether_SSL_KEY_UPDATE_REQUESTED) == 1
    }
}
