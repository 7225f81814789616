/*
 * keepload: a keep-alive HTTP/1.1 load client for scripts/bench.sh that can
 * open every connection with a PROXY protocol v2 header, as an L4 balancer
 * with send-proxy-v2 does. wrk cannot: its Lua has no per-connection hook,
 * and a header before every request would be a different protocol. With
 * this client the PROXY row and the plain row of a run differ only in the
 * 28 bytes at the start of each connection (same client, same path, no
 * relay in between).
 *
 *   keepload HOST PORT CONNECTIONS SECONDS [proxy-v2]
 *
 * One thread, epoll, CONNECTIONS sockets each sending "GET /" and waiting for
 * the whole answer (Content-Length bodies only) before the next. Prints
 * wrk's summary lines that bench.sh reads: "N requests in", "Requests/sec:",
 * the 50 % and 99 % latencies, and errors as "Socket errors:" /
 * "Non-2xx or 3xx responses:".
 *
 * The WebSocket rows need the same: a load that keeps the proxy busy rather
 * than a Python client that leaves it idle between messages (then the rows
 * measure wake-ups, not tunnelling), and backends that do not limit it:
 *
 *   keepload ws HOST PORT CONNECTIONS SECONDS SIZE
 *       CONNECTIONS WebSockets (upgrade, then 101), each sending one masked
 *       SIZE-byte binary frame (SIZE < 126) and waiting for its echo; prints
 *       the number of messages echoed.
 *   keepload idle HOST PORT N
 *       N WebSockets opened 100 at a time, "ready" printed, then held
 *       (idle) until standard input closes: memory per idle tunnel.
 *   keepload echo PORT
 *       a backend: answers an upgrade with 101 and then echoes raw bytes
 *       (proxies do not parse frames, so frames come back as they went);
 *       a plain request gets "200 ok" (the harness checking the port).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define BUFFER_SIZE 65536
#define LATENCY_BUCKETS 1000000 /* 1 µs each, up to 1 s; slower lands in the last */

struct connection {
    int fd;
    int connected;
    size_t filled;
    uint64_t sent_at;
    char buffer[BUFFER_SIZE];
};

static const char *host;
static int port;
static int proxy_v2;
static char request[256];
static size_t request_length;
static uint32_t latency[LATENCY_BUCKETS];
static uint64_t completed, non2xx, read_errors, connect_errors;

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void open_connection(int epoll_fd, struct connection *c) {
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, host, &to.sin_addr);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->connected = 0;
    c->filled = 0;
    if (connect(c->fd, (struct sockaddr *)&to, sizeof to) != 0 && errno != EINPROGRESS) {
        perror("keepload: connect");
        exit(1);
    }
    struct epoll_event e = {.events = EPOLLOUT, .data.ptr = c};
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, c->fd, &e);
}

static void reopen(int epoll_fd, struct connection *c) {
    close(c->fd);
    open_connection(epoll_fd, c);
}

/* PROXY v2, PROXY command, TCP over IPv4: the connection's own addresses. */
static size_t proxy_header(int fd, unsigned char *out) {
    static const unsigned char signature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    struct sockaddr_in local, remote;
    socklen_t l = sizeof local, r = sizeof remote;
    getsockname(fd, (struct sockaddr *)&local, &l);
    getpeername(fd, (struct sockaddr *)&remote, &r);
    memcpy(out, signature, 12);
    out[12] = 0x21;
    out[13] = 0x11;
    out[14] = 0;
    out[15] = 12;
    memcpy(out + 16, &local.sin_addr, 4);
    memcpy(out + 20, &remote.sin_addr, 4);
    memcpy(out + 24, &local.sin_port, 2);
    memcpy(out + 26, &remote.sin_port, 2);
    return 28;
}

static int send_request(struct connection *c, int first) {
    unsigned char out[28 + sizeof request];
    size_t n = 0;
    if (first && proxy_v2) n = proxy_header(c->fd, out);
    memcpy(out + n, request, request_length);
    n += request_length;
    c->sent_at = now_ns();
    return send(c->fd, out, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

/* Length of a whole response at the start of the buffer, 0 if incomplete, -1 if unreadable. */
static long response_length(struct connection *c, int *status) {
    char *end = memmem(c->buffer, c->filled, "\r\n\r\n", 4);
    if (!end) return c->filled == BUFFER_SIZE ? -1 : 0;
    size_t head = (size_t)(end - c->buffer) + 4;
    if (head < 12 || memcmp(c->buffer, "HTTP/1.1 ", 9) != 0) return -1;
    *status = atoi(c->buffer + 9);
    long body = -1;
    for (char *line = memchr(c->buffer, '\n', head); line && line < end; line = memchr(line + 1, '\n', (size_t)(end - line))) {
        if (strncasecmp(line + 1, "content-length:", 15) == 0) body = strtol(line + 16, NULL, 10);
    }
    if (body < 0) return -1;
    return c->filled >= head + (size_t)body ? (long)(head + (size_t)body) : 0;
}

static void record(uint64_t started) {
    uint64_t us = (now_ns() - started) / 1000;
    latency[us < LATENCY_BUCKETS ? us : LATENCY_BUCKETS - 1]++;
    completed++;
}

static double percentile(double p) {
    uint64_t want = (uint64_t)(p * (double)completed), seen = 0;
    for (size_t i = 0; i < LATENCY_BUCKETS; i++) {
        seen += latency[i];
        if (seen > want) return (double)i;
    }
    return LATENCY_BUCKETS;
}

static int ws_load(int argc, char **argv);
static int ws_idle(int argc, char **argv);
static int echo_server(int argc, char **argv);

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "ws") == 0) return ws_load(argc, argv);
    if (argc > 1 && strcmp(argv[1], "idle") == 0) return ws_idle(argc, argv);
    if (argc > 1 && strcmp(argv[1], "echo") == 0) return echo_server(argc, argv);
    if (argc < 5 || (argc == 6 && strcmp(argv[5], "proxy-v2") != 0) || argc > 6) {
        fprintf(stderr, "usage: keepload HOST PORT CONNECTIONS SECONDS [proxy-v2]\n");
        return 2;
    }
    host = argv[1];
    port = atoi(argv[2]);
    int count = atoi(argv[3]);
    double seconds = atof(argv[4]);
    proxy_v2 = argc == 6;
    request_length = (size_t)snprintf(request, sizeof request, "GET / HTTP/1.1\r\nHost: %s:%d\r\n\r\n", host, port);

    int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    struct connection *connections = calloc((size_t)count, sizeof *connections);
    for (int i = 0; i < count; i++) open_connection(epoll_fd, &connections[i]);

    uint64_t start = now_ns(), deadline = start + (uint64_t)(seconds * 1e9);
    struct epoll_event events[256];
    while (now_ns() < deadline) {
        int n = epoll_wait(epoll_fd, events, 256, 100);
        for (int i = 0; i < n; i++) {
            struct connection *c = events[i].data.ptr;
            if (!c->connected) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err != 0 || send_request(c, 1) != 0) {
                    connect_errors++;
                    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
                    reopen(epoll_fd, c);
                    continue;
                }
                c->connected = 1;
                struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
                epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &e);
                continue;
            }
            ssize_t got = recv(c->fd, c->buffer + c->filled, BUFFER_SIZE - c->filled, 0);
            if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            int status = 0;
            long whole = 0;
            if (got > 0) {
                c->filled += (size_t)got;
                whole = response_length(c, &status);
                if (whole == 0) continue;
            }
            if (got <= 0 || whole < 0 || (size_t)whole != c->filled) {
                /* reset, EOF, an unreadable answer or bytes nobody asked for */
                read_errors++;
                epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
                reopen(epoll_fd, c);
                continue;
            }
            record(c->sent_at);
            if (status < 200 || status > 399) non2xx++;
            c->filled = 0;
            if (send_request(c, 0) != 0) {
                read_errors++;
                epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
                reopen(epoll_fd, c);
            }
        }
    }
    double elapsed = (double)(now_ns() - start) / 1e9;
    printf("Latency Distribution\n     50%%  %.2fus\n     99%%  %.2fus\n", percentile(0.5), percentile(0.99));
    printf("  %llu requests in %.2fs\n", (unsigned long long)completed, elapsed);
    if (connect_errors + read_errors > 0)
        printf("  Socket errors: connect %llu, read %llu\n", (unsigned long long)connect_errors, (unsigned long long)read_errors);
    if (non2xx > 0) printf("  Non-2xx or 3xx responses: %llu\n", (unsigned long long)non2xx);
    printf("Requests/sec: %.2f\n", (double)completed / elapsed);
    return 0;
}

/* ---- WebSocket load: upgrade, then one frame out and its echo back, in turn ---- */

/* Starts a WebSocket handshake with host:port (blocking; setup, not measured). */
static int upgrade_send(void) {
    char request[512];
    size_t length = (size_t)snprintf(request, sizeof request,
        "GET /ws HTTP/1.1\r\nHost: %s:%d\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGV0aGVyLWJlbmNoLWtleQ==\r\n\r\n", host, port);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, host, &to.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) { perror("keepload: socket"); return -1; }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* A handshake the proxy never answers fails in 10 s with a message, instead of a silent hang. */
    struct timeval patience = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &patience, sizeof patience);
    if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0) { perror("keepload: connect"); return -1; }
    if (send(fd, request, length, MSG_NOSIGNAL) != (ssize_t)length) { perror("keepload: send"); return -1; }
    return fd;
}

/* Waits for the answer to upgrade_send: 0 once it is a 101 (the socket is then non-blocking). */
static int upgrade_receive(int fd) {
    char head[1024];
    size_t got = 0;
    while (!memmem(head, got, "\r\n\r\n", 4)) {
        ssize_t n = recv(fd, head + got, sizeof head - got, 0);
        if (n <= 0) {
            fprintf(stderr, "keepload: no answer to the upgrade (%s)\n", n == 0 ? "closed" : strerror(errno));
            return -1;
        }
        got += (size_t)n;
    }
    if (memcmp(head, "HTTP/1.1 101", 12) != 0) {
        fprintf(stderr, "keepload: no upgrade: %.40s\n", head);
        return -1;
    }
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return 0;
}

static int upgrade(struct connection *c) {
    c->fd = upgrade_send();
    return c->fd < 0 ? -1 : upgrade_receive(c->fd);
}

/* N idle WebSockets, for memory per idle tunnel: "ready" once all are open, held until stdin closes. */
static int ws_idle(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: keepload idle HOST PORT N\n");
        return 2;
    }
    host = argv[2];
    port = atoi(argv[3]);
    int count = atoi(argv[4]);
    /* 100 handshakes in flight at a time, as clients arriving together (the proxy's pools see a burst). */
    int fds[100];
    for (int i = 0; i < count; i += 100) {
        int batch = count - i < 100 ? count - i : 100;
        for (int k = 0; k < batch; k++) {
            if ((fds[k] = upgrade_send()) < 0) goto failed;
        }
        for (int k = 0; k < batch; k++) {
            if (upgrade_receive(fds[k]) != 0) goto failed;
        }
        continue;
    failed:
        fprintf(stderr, "keepload idle: failed with %d WebSockets open\n", i);
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    char sink[256];
    while (read(0, sink, sizeof sink) > 0) {}
    return 0;
}

static int ws_load(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: keepload ws HOST PORT CONNECTIONS SECONDS SIZE\n");
        return 2;
    }
    host = argv[2];
    port = atoi(argv[3]);
    int count = atoi(argv[4]);
    double seconds = atof(argv[5]);
    int size = atoi(argv[6]);
    if (size < 1 || size > 125) {
        fprintf(stderr, "keepload ws: SIZE must be 1..125\n");
        return 2;
    }
    unsigned char frame[2 + 4 + 125];
    size_t frame_length = (size_t)(2 + 4 + size);
    frame[0] = 0x82;
    frame[1] = (unsigned char)(0x80 | size);
    memcpy(frame + 2, "\x37\xfa\x21\x3d", 4);
    for (int i = 0; i < size; i++) frame[6 + i] = (unsigned char)('x' ^ frame[2 + i % 4]);

    int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    struct connection *connections = calloc((size_t)count, sizeof *connections);
    for (int i = 0; i < count; i++) {
        struct connection *c = &connections[i];
        if (upgrade(c) != 0) return 1;
        struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(epoll_fd, EPOLL_CTL_ADD, c->fd, &e);
    }
    uint64_t start = now_ns(), deadline = start + (uint64_t)(seconds * 1e9);
    for (int i = 0; i < count; i++) send(connections[i].fd, frame, frame_length, MSG_NOSIGNAL);
    uint64_t messages = 0;
    struct epoll_event events[256];
    while (now_ns() < deadline) {
        int n = epoll_wait(epoll_fd, events, 256, 100);
        for (int i = 0; i < n; i++) {
            struct connection *c = events[i].data.ptr;
            ssize_t got = recv(c->fd, c->buffer + c->filled, BUFFER_SIZE - c->filled, 0);
            if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (got <= 0) { fprintf(stderr, "keepload ws: a tunnel closed\n"); return 1; }
            c->filled += (size_t)got;
            if (c->filled < frame_length) continue;
            if (c->filled > frame_length || memcmp(c->buffer, frame, frame_length) != 0) {
                fprintf(stderr, "keepload ws: the echo differs from the message\n");
                return 1;
            }
            c->filled = 0;
            messages++;
            send(c->fd, frame, frame_length, MSG_NOSIGNAL);
        }
    }
    printf("%llu\n", (unsigned long long)messages);
    return 0;
}

/* ---- Echo backend ---- */

struct peer {
    int fd;
    int open;
    size_t filled;
    char buffer[4096];
};

static int echo_server(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: keepload echo PORT\n");
        return 2;
    }
    static const char switched[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                   "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    static const char plain[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in at = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    inet_pton(AF_INET, "127.0.0.1", &at.sin_addr);
    if (bind(listener, (struct sockaddr *)&at, sizeof at) != 0 || listen(listener, 4096) != 0) {
        perror("keepload echo: listen");
        return 1;
    }
    int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event e = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listener, &e);
    struct epoll_event events[256];
    for (;;) {
        int n = epoll_wait(epoll_fd, events, 256, -1);
        for (int i = 0; i < n; i++) {
            struct peer *p = events[i].data.ptr;
            if (!p) {
                int fd;
                while ((fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct peer *q = calloc(1, sizeof *q);
                    q->fd = fd;
                    struct epoll_event pe = {.events = EPOLLIN, .data.ptr = q};
                    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &pe);
                }
                continue;
            }
            ssize_t got = recv(p->fd, p->buffer + p->filled, sizeof p->buffer - p->filled, 0);
            if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (got <= 0) {
                close(p->fd);
                free(p);
                continue;
            }
            if (p->open) {
                send(p->fd, p->buffer, (size_t)got, MSG_NOSIGNAL);
                continue;
            }
            p->filled += (size_t)got;
            char *end = memmem(p->buffer, p->filled, "\r\n\r\n", 4);
            if (!end) {
                if (p->filled == sizeof p->buffer) { close(p->fd); free(p); }
                continue;
            }
            size_t head = (size_t)(end - p->buffer) + 4;
            int upgrade = memmem(p->buffer, head, "Upgrade: websocket", 18) || memmem(p->buffer, head, "upgrade: websocket", 18);
            if (upgrade) {
                send(p->fd, switched, sizeof switched - 1, MSG_NOSIGNAL);
                p->open = 1;
                if (p->filled > head) send(p->fd, p->buffer + head, p->filled - head, MSG_NOSIGNAL);
            } else {
                send(p->fd, plain, sizeof plain - 1, MSG_NOSIGNAL);
                memmove(p->buffer, p->buffer + head, p->filled - head);
            }
            p->filled -= head;
            if (upgrade) p->filled = 0;
        }
    }
}
