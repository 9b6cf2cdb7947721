// churn: a closed-loop connection-churn generator for a loopback TCP echo server.
//
// Each of -c slots repeats: non-blocking connect, send one -s byte message, read the whole echo,
// close. It runs -w ms of warm-up then -d ms of measuring, and prints (with -j) one JSON object
// with the same field names as the shared loadgen: msgs_per_s counts complete cycles per second,
// the latencies are of whole cycles (connect to echo received).
//
// Safety: loopback targets only; bounded by time (plus an alarm() watchdog).
// Build: gcc -O2 -Wall -o churn churn.c
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    int fd;
    int connected;
    uint64_t t_start;
    size_t got;
} slot_t;

static int port = 7001, nslots = 50, json = 0, ep;
static size_t msize = 64;
static long dur_ms = 3000, warm_ms = 1000;
static unsigned char *msg, *inbuf;
static slot_t *slots;
static uint64_t t_measure, t_end;
static long long total_all, errors;
static uint64_t *lat;
static size_t nlat, caplat;
static char first_err[200];
static struct sockaddr_in addr;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void note_err(const char *what) {
    errors++;
    if (!first_err[0]) snprintf(first_err, sizeof first_err, "%s: %s", what, strerror(errno));
}

static void drop(slot_t *s) {
    if (s->fd < 0) return;
    epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
    close(s->fd);
    s->fd = -1;
}

// Starts a new cycle in slot i; returns -1 when no socket could be made.
static int start(int i) {
    slot_t *s = &slots[i];
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0) { note_err("socket"); return -1; }
    int one = 1;
    setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    s->connected = 0;
    s->got = 0;
    s->t_start = now_ns();
    int r = connect(s->fd, (struct sockaddr *)&addr, sizeof addr);
    if (r != 0 && errno != EINPROGRESS) { note_err("connect"); drop(s); return -1; }
    struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev);
    return 0;
}

static void on_writable(int i) {
    slot_t *s = &slots[i];
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) { errno = err; note_err("connect"); drop(s); return; }
    s->connected = 1;
    if (send(s->fd, msg, msize, MSG_NOSIGNAL) != (ssize_t)msize) { note_err("send"); drop(s); return; }
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
}

// Returns 1 when the whole echo is in.
static int on_readable(int i) {
    slot_t *s = &slots[i];
    while (s->got < msize) {
        ssize_t r = recv(s->fd, inbuf + s->got, msize - s->got, 0);
        if (r == 0) { errno = ECONNRESET; note_err("closed early"); drop(s); return 0; }
        if (r < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
            note_err("recv"); drop(s); return 0;
        }
        s->got += (size_t)r;
    }
    return 1;
}

static void record(slot_t *s, uint64_t t) {
    total_all++;
    if (s->t_start < t_measure || t > t_end) return;
    if (nlat == caplat) {
        caplat = caplat ? caplat * 2 : 1 << 16;
        lat = realloc(lat, caplat * sizeof *lat);
        if (!lat) { fprintf(stderr, "churn: out of memory\n"); exit(2); }
    }
    lat[nlat++] = t - s->t_start;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(double p) {
    if (!nlat) return 0;
    long i = (long)(p * (double)nlat + 0.5) - 1;
    if (i < 0) i = 0;
    if ((size_t)i >= nlat) i = (long)nlat - 1;
    return lat[i] / 1e3;
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int o;
    while ((o = getopt(argc, argv, "a:p:c:s:d:w:j")) != -1) {
        switch (o) {
        case 'a': host = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'c': nslots = atoi(optarg); break;
        case 's': msize = (size_t)atol(optarg); break;
        case 'd': dur_ms = atol(optarg); break;
        case 'w': warm_ms = atol(optarg); break;
        case 'j': json = 1; break;
        default:
            fprintf(stderr, "usage: churn [-a 127.0.0.1] [-p port] [-c slots] [-s size] [-d ms] [-w ms] [-j]\n");
            return 2;
        }
    }
    if (nslots < 1 || msize < 1 || msize > 65536 || dur_ms < 1) { fprintf(stderr, "churn: bad arguments\n"); return 2; }
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1 || (ntohl(addr.sin_addr.s_addr) >> 24) != 127) {
        fprintf(stderr, "churn: only IPv4 loopback targets\n");
        return 2;
    }
    alarm((unsigned)(30 + (warm_ms + dur_ms) / 1000));
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < (rlim_t)nslots + 64) { rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); }

    msg = malloc(msize);
    inbuf = malloc(msize);
    for (size_t k = 0; k < msize; k++) msg[k] = (unsigned char)(k * 31 + 7);
    ep = epoll_create1(EPOLL_CLOEXEC);
    slots = calloc((size_t)nslots, sizeof *slots);
    uint64_t t0 = now_ns();
    t_measure = t0 + (uint64_t)warm_ms * 1000000ull;
    t_end = t_measure + (uint64_t)dur_ms * 1000000ull;
    for (int i = 0; i < nslots; i++) { slots[i].fd = -1; start(i); }

    struct epoll_event evs[1024];
    for (;;) {
        uint64_t t = now_ns();
        if (t >= t_end) break;
        int n = epoll_wait(ep, evs, 1024, (int)((t_end - t) / 1000000ull) + 1);
        for (int k = 0; k < n; k++) {
            int i = (int)evs[k].data.u32;
            slot_t *s = &slots[i];
            if (s->fd < 0) continue;
            if (!s->connected) {
                on_writable(i);
            } else if (on_readable(i)) {
                uint64_t te = now_ns();
                record(s, te);
                drop(s);
            }
            if (s->fd < 0 && now_ns() < t_end) start(i);
        }
    }
    for (int i = 0; i < nslots; i++) drop(&slots[i]);
    qsort(lat, nlat, sizeof *lat, cmp_u64);
    double secs = dur_ms / 1000.0, rate = (double)nlat / secs;
    if (json) {
        printf("{\"conns\":%d,\"size\":%zu,\"seconds\":%g,\"msgs\":%zu,\"msgs_per_s\":%.1f,\"mb_per_s\":%.3f,"
               "\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,\"errors\":%lld,\"msgs_all\":%lld,\"client\":\"c-churn\","
               "\"first_error\":\"%s\"}\n",
               nslots, msize, secs, nlat, rate, rate * (double)msize / 1e6, pct(.5), pct(.99), pct(1), errors, total_all,
               first_err);
    } else {
        printf("churn c=%d size=%zu: %.0f cycles/s p50 %.0fus p99 %.0fus err=%lld %s\n", nslots, msize, rate, pct(.5),
               pct(.99), errors, first_err);
    }
    return nlat == 0 ? 1 : 0;
}
