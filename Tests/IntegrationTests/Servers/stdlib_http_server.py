"""Python's own http.server (HTTP/1.1), as app servers people run answer:
it sends `100 Continue` itself, reads the body, and answers. The tests start
it on a free port (printed as "listening on PORT") and stop it.

  --no-continue   never send 100 Continue (as HTTP/1.0 servers and many
                  handlers that just read the body)
  --name NAME     every answer carries X-Backend: NAME (which server it was)

Routes:
  POST|PUT /upload      200, body = hex SHA-256 of the request body
  POST /refuse          401 at once, without reading the body (then closes)
  GET  /early           103 Early Hints in a write of its own, then 200
  GET  /echo            200, body = "<path> <Host>" as this server saw them
  GET  /sleep/MS        200 after MS milliseconds (a slow handler)
  GET  /header/NAME     200, body = the request's NAME fields, joined by "|"
  GET  /trailers        chunked 200 with trailer fields X-Checksum, X-Parts;
                        header X-Saw-TE says which TE the request carried
  POST /echo-trailers   reads a chunked body, answers its trailer lines
"""
import hashlib
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    send_continue = True
    name = None

    def handle_expect_100(self):
        if self.send_continue:
            return super().handle_expect_100()
        return True  # read the body without a 100, as the client will send it anyway

    def answer(self, status, body, extra=()):
        self.send_response(status)
        if self.name:
            self.send_header("X-Backend", self.name)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        if self.path == "/refuse":
            self.close_connection = True
            self.answer(401, b"no", [("Connection", "close")])
            return
        if self.path == "/echo-trailers":
            self.answer(200, self.read_chunked_trailers())
            return
        n = int(self.headers.get("Content-Length", "0"))
        h = hashlib.sha256()
        while n > 0:
            piece = self.rfile.read(min(n, 1 << 16))
            if not piece:
                break
            h.update(piece)
            n -= len(piece)
        self.answer(200, h.hexdigest().encode())

    do_PUT = do_POST

    def do_GET(self):
        if self.path.startswith("/sleep/"):
            time.sleep(int(self.path[len("/sleep/"):]) / 1000)
            self.answer(200, b"slept")
        elif self.path.startswith("/header/"):
            values = self.headers.get_all(self.path[len("/header/"):]) or []
            self.answer(200, "|".join(values).encode())
        elif self.path == "/early":
            self.send_response_only(103)
            self.send_header("Link", "</style.css>; rel=preload; as=style")
            self.end_headers()
            self.wfile.flush()
            time.sleep(0.05)  # the final answer comes in a later write
            self.answer(200, b"final")
        elif self.path == "/trailers":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Trailer", "X-Checksum, X-Parts")
            self.send_header("X-Saw-TE", self.headers.get("TE", "none"))
            self.end_headers()
            for part in (b"hello ", b"world"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\nX-Checksum: 5eb63bbbe01eeed0\r\nX-Parts: 2\r\n\r\n")
        else:
            self.answer(200, f"{self.path} {self.headers.get('Host')}".encode())

    def read_chunked_trailers(self):
        while True:
            size = int(self.rfile.readline().split(b";")[0], 16)
            if size == 0:
                break
            self.rfile.read(size + 2)
        trailers = b""
        while True:
            line = self.rfile.readline()
            if line in (b"\r\n", b""):
                return trailers
            trailers += line

    def log_message(self, *args):
        pass


def main():
    if "--no-continue" in sys.argv:
        Handler.send_continue = False
    if "--name" in sys.argv:
        Handler.name = sys.argv[sys.argv.index("--name") + 1]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
