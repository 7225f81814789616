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
/* Fills parallel arrays so Swift never touches the packed epoll_event layout. */
int csys_epoll_wait(int epfd, uint32_t *events, uint64_t *datas, int maxevents, int timeout);
int csys_accept4(int fd, struct sockaddr *addr, socklen_t *len);
int csys_socket_nonblocking(int domain, int type);
/* glibc's malloc_trim(0): free heap pages back to the kernel (<malloc.h> is not in Glibc's module). */
int csys_malloc_trim(void);

#endif
