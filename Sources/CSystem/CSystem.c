#define _GNU_SOURCE
#include "CSystem.h"
#include <errno.h>
#include <malloc.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int csys_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int csys_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}

int csys_epoll_wait_ns(int epfd, uint32_t *events, uint64_t *datas, int maxevents, int64_t timeout_ns) {
    static int no_pwait2;
    struct epoll_event evs[256];
    if (maxevents > 256) maxevents = 256;
    int n = -1;
#ifdef SYS_epoll_pwait2
    if (!no_pwait2) {
        struct timespec ts = { .tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000 };
        n = (int)syscall(SYS_epoll_pwait2, epfd, evs, maxevents, &ts, NULL, 0);
        if (n < 0 && errno == ENOSYS) no_pwait2 = 1;
    }
#else
    no_pwait2 = 1;
#endif
    if (no_pwait2) n = epoll_wait(epfd, evs, maxevents, (int)((timeout_ns + 999999) / 1000000));
    for (int i = 0; i < n; i++) {
        events[i] = evs[i].events;
        datas[i] = evs[i].data.u64;
    }
    return n;
}

int csys_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

void csys_eventfd_signal(int fd) {
    uint64_t one = 1;
    ssize_t r = write(fd, &one, sizeof one);
    (void)r; /* EAGAIN: the counter is already non-zero, which is all a wake-up needs */
}

void csys_eventfd_drain(int fd) {
    uint64_t v;
    ssize_t r = read(fd, &v, sizeof v);
    (void)r;
}

int csys_accept4(int fd, struct sockaddr *addr, socklen_t *len) {
    return accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int csys_socket_nonblocking(int domain, int type) {
    return socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}


ssize_t csys_recv(int fd, void *buffer, size_t length) {
    return syscall(SYS_recvfrom, fd, buffer, length, 0, NULL, NULL);
}

ssize_t csys_send(int fd, const void *buffer, size_t length) {
    return syscall(SYS_sendto, fd, buffer, length, MSG_NOSIGNAL, NULL, 0);
}

void csys_malloc_mmap_threshold(int bytes) { mallopt(M_MMAP_THRESHOLD, bytes); }

int csys_malloc_trim(void) { return malloc_trim(0); }
