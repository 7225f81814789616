import Foundation

/// Apache Tomcat 10 from Debian's `tomcat10` package, as people run it: one
/// instance per test in its own `CATALINA_BASE` (a temporary directory with a
/// small server.xml: one HTTP connector on a free loopback port, a `jvmRoute`),
/// started with `catalina.sh run` and stopped with the test. Its one page,
/// `/upload.jsp`, answers the SHA-256 of the request body; Tomcat sends
/// `100 Continue` itself (and with an empty reason phrase).
enum TomcatServer {
    static let home = "/usr/share/tomcat10"
    static var isInstalled: Bool { FileManager.default.fileExists(atPath: home + "/bin/catalina.sh") }

    static let uploadPage = """
        <%@ page import="java.security.MessageDigest" contentType="text/plain" trimDirectiveWhitespaces="true" %><%
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        java.io.InputStream in = request.getInputStream();
        byte[] buf = new byte[65536];
        int n;
        while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
        StringBuilder hex = new StringBuilder();
        for (byte b : md.digest()) hex.append(String.format("%02x", b));
        out.print(hex);
        %>
        """

    /// Its session page, `/session.jsp`: `backend=NAME visits=N`, N counted
    /// in the `HttpSession` (JSESSIONID), as an app keeps a login.
    static func sessionPage(_ name: String) -> String {
        """
        <%@ page contentType="text/plain" trimDirectiveWhitespaces="true" %><%
        Integer v = (Integer) session.getAttribute("visits");
        v = (v == null) ? 1 : v + 1;
        session.setAttribute("visits", v);
        out.print("backend=\(name) visits=" + v);
        %>
        """
    }

    /// - Parameter route: the engine's `jvmRoute` (nil: none, so JSESSIONID
    ///   carries no `.route` suffix).
    static func start(route: String?, name: String = "tomcat") throws -> (server: ExternalServer, base: String) {
        let fm = FileManager.default
        let base = fm.temporaryDirectory.appendingPathComponent("tether-tomcat-\(UUID())").path
        for dir in ["conf", "logs", "temp", "work", "webapps/ROOT"] {
            try fm.createDirectory(atPath: "\(base)/\(dir)", withIntermediateDirectories: true)
        }
        for file in ["web.xml", "catalina.properties", "logging.properties"] {
            try fm.copyItem(atPath: "\(home)/etc/\(file)", toPath: "\(base)/conf/\(file)")
        }
        let port = try TestBackend.unusedPort()
        let serverXML = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Server port="-1" shutdown="SHUTDOWN">
              <Service name="Catalina">
                <Connector port="\(port)" address="127.0.0.1" protocol="HTTP/1.1" connectionTimeout="20000" maxSwallowSize="-1"/>
                <Engine name="Catalina" defaultHost="localhost"\(route.map { " jvmRoute=\"\($0)\"" } ?? "")>
                  <Host name="localhost" appBase="webapps" unpackWARs="false" autoDeploy="false"/>
                </Engine>
              </Service>
            </Server>
            """
        try serverXML.write(toFile: "\(base)/conf/server.xml", atomically: true, encoding: .utf8)
        try uploadPage.write(toFile: "\(base)/webapps/ROOT/upload.jsp", atomically: true, encoding: .utf8)
        try sessionPage(name).write(toFile: "\(base)/webapps/ROOT/session.jsp", atomically: true, encoding: .utf8)
        let server = try ExternalServer(
            ["\(home)/bin/catalina.sh", "run"],
            environment: ["CATALINA_HOME": home, "CATALINA_BASE": base, "CATALINA_PID": "\(base)/tomcat.pid"],
            readiness: .prints("Server startup in", port: port), timeout: 120)
        return (server, base)
    }
}
