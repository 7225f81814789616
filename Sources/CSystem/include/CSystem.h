#ifndef TETHER_CSYSTEM_H
#define TETHER_CSYSTEM_H

/* Glibc's Swift module does not export epoll or accept4; these thin wrappers do.
 * Kept tiny on purpose: the event loop logic lives in Swift. */

#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

static const uint32_t csys_EPOLLIN = EPOLLIN;
static const uint32_t csys_EPOLLOUT = EPOLLOUT;
static const uint32_t csys_EPOLLERR = EPOLLERR;
static const uint32_t csys_EPOLLHUP = EPOLLHUP;
static const uint32_t csys_EPOLLRDHUP = EPOLLRDHUP;
static const uint32_t csys_EPOLLEXCLUSIVE = EPOLLEXCLUSIVE;

int csys_epoll_create(void);
int csys_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
/* Waits at most `timeout_ns` nanoseconds (0: only what is ready) with
 * epoll_pwait2 (on kernels before 5.11, epoll_wait rounded up to a
 * millisecond); fills parallel arrays so Swift never touches the packed
 * epoll_event layout. */
int csys_epoll_wait_ns(int epfd, uint32_t *events, uint64_t *datas, int maxevents, int64_t timeout_ns);
/* A non-blocking eventfd; signal adds 1, drain reads it back to 0. */
int csys_eventfd(void);
void csys_eventfd_signal(int fd);
void csys_eventfd_drain(int fd);
int csys_accept4(int fd, struct sockaddr *addr, socklen_t *len);
/* recv(2) (flags 0) and send(2) (MSG_NOSIGNAL) as plain system calls. glibc's
 * wrappers are cancellation points: in a process with threads each call
 * enables and disables asynchronous cancellation around the system call (two
 * atomic updates of the thread's state), which nginx's single-threaded
 * workers never pay. Tether cancels no thread. -1 and errno on failure. */
ssize_t csys_recv(int fd, void *buffer, size_t length);
ssize_t csys_send(int fd, const void *buffer, size_t length);
int csys_socket_nonblocking(int domain, int type);
/* glibc's malloc_trim(0): free heap pages back to the kernel (<malloc.h> is not in Glibc's module). */
int csys_malloc_trim(void);
/* mallopt(M_MMAP_THRESHOLD, bytes): allocations of at least `bytes` get pages of their own. */
void csys_malloc_mmap_threshold(int bytes);

#endif
