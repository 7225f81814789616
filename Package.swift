// swift-tools-version:6.0
import PackageDescription

/// Module split (see docs/ARCHITECTURE.md): pure parsing and balancing have no I/O;
/// sockets and Dispatch live in EventLoop; Proxy is the glue that tells the story
/// of one request.
/// Release builds drop Swift's dynamic exclusivity checks on the data path
/// modules: each class-property access otherwise costs a runtime call
/// (measured ~3 % of proxy CPU). Debug builds and tests keep them.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "Tether",
    products: [
        .executable(name: "tether", targets: ["tether"]),
        .executable(name: "demo-backend", targets: ["demo-backend"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // epoll and accept4 are not exported by Glibc's Swift module.
        .target(name: "CSystem"),
        // System OpenSSL (libssl-dev), with a shim for the macros Swift cannot import.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "HTTP1", swiftSettings: hotPath),
        // Pure: who the client is — addresses, networks, the PROXY protocol header that carries them.
        .target(name: "ClientAddress", swiftSettings: hotPath),
        .target(name: "RESP"),
        .target(name: "Balancer"),
        .target(name: "Config", dependencies: ["HTTP1", "ClientAddress"]),
        .target(
            name: "EventLoop",
            dependencies: ["CSystem"],
            swiftSettings: hotPath
        ),
        // TLS termination over the system OpenSSL: contexts, certificates, and
        // the non-blocking per-connection state machine.
        .target(name: "TLS", dependencies: ["COpenSSL", "Config", "EventLoop"], swiftSettings: hotPath),
        // The stats table: counters, the snapshot, and every output made from them. Pure.
        .target(name: "Stats", swiftSettings: hotPath),
        // Active checks of backends and of the session store: the same non-blocking sockets as the data path.
        .target(name: "Health", dependencies: ["Config", "EventLoop", "HTTP1", "RESP", "Stats"]),
        // Which backend a request goes to, and who may take what: pure.
        .target(name: "Routing", dependencies: ["Balancer", "Config", "HTTP1"], swiftSettings: hotPath),
        .target(name: "Proxy", dependencies: ["HTTP1", "ClientAddress", "EventLoop", "Balancer", "Config", "CSystem", "Health", "Routing", "TLS", "Stats"], swiftSettings: hotPath),
        // Tether's own small HTTP/1.1 servers (admin endpoint, demo backend): answer, not relay.
        .target(name: "HTTPServer", dependencies: ["HTTP1", "EventLoop"]),
        .target(name: "Admin", dependencies: ["Balancer", "Proxy", "EventLoop", "HTTP1", "HTTPServer", "Stats"]),
        .executableTarget(
            name: "tether",
            dependencies: [
                "Proxy", "Config", "Admin", "EventLoop", "TLS", "Stats", "Routing",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "demo-backend",
            dependencies: [
                "HTTP1", "EventLoop", "HTTPServer", "RESP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1"]),
        .testTarget(name: "BalancerTests", dependencies: ["Balancer"]),
        .testTarget(name: "ClientAddressTests", dependencies: ["ClientAddress"]),
        .testTarget(name: "ConfigTests", dependencies: ["Config", "Stats"]),
        .testTarget(name: "StatsTests", dependencies: ["Stats"]),
        .testTarget(name: "HealthCheckTests", dependencies: ["Health"]),
        .testTarget(name: "RoutingTests", dependencies: ["Routing", "Config", "HTTP1"]),
        .testTarget(name: "ProxyTests", dependencies: ["Proxy", "EventLoop", "HTTP1", "Stats"]),
        // Servers/: the Python servers and the lifeline wrapper the tests run.
        .testTarget(name: "IntegrationTests", dependencies: ["HTTP1", "COpenSSL", "CSystem"], exclude: ["Servers"]),
    ]
)
