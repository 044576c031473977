/*
 * soma-sandbox-exec: the last step inside a SomaAgent sandbox before the tool's program runs.
 * bubblewrap has built the namespaces, the mounts and the seccomp filter; this sets resource limits, confines the
 * process with Landlock (file-system access, TCP, signals and abstract sockets, as far as the kernel's ABI goes) and
 * executes the program. It is small on purpose, reads only its own command line, and fails closed: a rule it cannot
 * apply is an error (exit 125) unless the kernel lacks Landlock altogether and --landlock=optional was given.
 *
 * Usage: soma-sandbox-exec [--rlimit NAME=N]... [--ro DIR]... [--rw DIR]... [--connect PORT]...
 *                          [--egress-relay SOCKET] [--landlock=required|optional] -- PROGRAM [ARG]...
 * NAME is one of cpu, as, fsize, nofile, nproc, core.
 *
 * --egress-relay: when a call is granted egress, the sandbox's network namespace still has only loopback. This
 * listens on 127.0.0.1:3128 there and relays each TCP connection to SOCKET, the Unix socket of the server's filtering
 * proxy bound into the sandbox; the proxy decides where each request may go. The relay is forked twice (so the
 * program, which may wait for all its children, never has it as a child) before the program's Landlock domain exists,
 * and confines itself with a domain of its own: the program cannot signal or trace it. It dies with the sandbox's pid
 * namespace.
 *
 * Parked: soma-sandbox-exec --park SERVER_PID. Outside the sandbox, in a call's pids cgroup the server made ahead of the call
 * (moving a process into a cgroup waits for an RCU grace period, several milliseconds, so the server does it before
 * a call needs it). It waits for the call's program line on standard input: a decimal byte count, a newline, then the
 * arguments each ended by a NUL byte. It reads exactly that many bytes, so the rest of standard input is the program's,
 * and executes the line (bubblewrap and its arguments) if its parent is still the server.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/prctl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2

#define FS_EXECUTE (1ULL << 0)
#define FS_WRITE_FILE (1ULL << 1)
#define FS_READ_FILE (1ULL << 2)
#define FS_READ_DIR (1ULL << 3)
#define FS_REFER (1ULL << 13)
#define FS_TRUNCATE (1ULL << 14)
#define FS_IOCTL_DEV (1ULL << 15)
#define NET_BIND_TCP (1ULL << 0)
#define NET_CONNECT_TCP (1ULL << 1)
#define SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define SCOPE_SIGNAL (1ULL << 1)

struct ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;
    uint64_t scoped;
};

struct path_beneath_attr {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));

struct net_port_attr {
    uint64_t allowed_access;
    uint64_t port;
};

#define MAX_RULES 64
#define RELAY_PORT 3128

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "soma-sandbox: %s%s%s%s%s\n", what, detail ? " (" : "", detail ? detail : "", detail ? ")" : "",
            errno ? "" : "");
    exit(125);
}

static void fail_errno(const char *what, const char *detail)
{
    fprintf(stderr, "soma-sandbox: %s %s: %s\n", what, detail ? detail : "", strerror(errno));
    exit(125);
}

static int limit_resource(const char *name)
{
    if (strcmp(name, "cpu") == 0) return RLIMIT_CPU;
    if (strcmp(name, "as") == 0) return RLIMIT_AS;
    if (strcmp(name, "fsize") == 0) return RLIMIT_FSIZE;
    if (strcmp(name, "nofile") == 0) return RLIMIT_NOFILE;
    if (strcmp(name, "nproc") == 0) return RLIMIT_NPROC;
    if (strcmp(name, "core") == 0) return RLIMIT_CORE;
    return -1;
}

static uint64_t fs_rights(int abi)
{
    uint64_t rights = (1ULL << 13) - 1; /* ABI 1: execute .. make_sym */
    if (abi >= 2) rights |= FS_REFER;
    if (abi >= 3) rights |= FS_TRUNCATE;
    if (abi >= 5) rights |= FS_IOCTL_DEV;
    return rights;
}


/* Copies both ways between a and b until both directions have ended. */
static void pump(int a, int b)
{
    char buffer[65536];
    struct pollfd fds[2] = { { .fd = a, .events = POLLIN }, { .fd = b, .events = POLLIN } };
    int open_ends = 2;
    while (open_ends > 0) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        for (int k = 0; k < 2; k++) {
            if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = read(fds[k].fd, buffer, sizeof buffer);
            int to = k == 0 ? b : a;
            if (n <= 0) {
                shutdown(to, SHUT_WR);
                fds[k].fd = -1;
                open_ends--;
                continue;
            }
            for (ssize_t done = 0; done < n;) {
                ssize_t w = write(to, buffer + done, (size_t)(n - done));
                if (w < 0) {
                    if (errno == EINTR) continue;
                    return;
                }
                done += w;
            }
        }
    }
}

static void relay_loop(int listener, const char *socket_path)
{
    signal(SIGCHLD, SIG_IGN); /* connections' children reap themselves */
    for (;;) {
        int client = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (client < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) continue;
            _exit(1);
        }
        pid_t child = fork();
        if (child == 0) {
            close(listener);
            int proxy = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            struct sockaddr_un address = { .sun_family = AF_UNIX };
            strncpy(address.sun_path, socket_path, sizeof address.sun_path - 1);
            if (proxy < 0 || connect(proxy, (struct sockaddr *)&address, sizeof address) != 0) _exit(1);
            pump(client, proxy);
            _exit(0);
        }
        close(client); /* fork failed (process limit): the client sees its connection closed */
    }
}

/* Confines the relay: every file-system and TCP right this kernel knows is handled and none granted. */
static void confine_relay(void)
{
    int abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
    if (abi < 0) return;
    struct ruleset_attr attr = { .handled_access_fs = fs_rights(abi) };
    if (abi >= 4) attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP;
    if (abi >= 6) attr.scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL;
    int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
    if (ruleset < 0 || syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) _exit(1);
    close(ruleset);
}

static void start_relay(const char *socket_path)
{
    if (strlen(socket_path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) fail("egress socket path too long", socket_path);
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0) fail_errno("egress relay socket", NULL);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(RELAY_PORT), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0) fail_errno("egress relay bind", "127.0.0.1:3128");
    if (listen(listener, 64) != 0) fail_errno("egress relay listen", NULL);

    pid_t first = fork();
    if (first < 0) fail_errno("egress relay fork", NULL);
    if (first == 0) {
        pid_t relay = fork();
        if (relay != 0) _exit(relay < 0 ? 1 : 0);
        int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        confine_relay();
        relay_loop(listener, socket_path);
    }
    int status;
    while (waitpid(first, &status, 0) < 0) {
        if (errno != EINTR) fail_errno("egress relay wait", NULL);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail("egress relay could not start", NULL);
    close(listener);
}

#define MAX_LINE (1 << 20)
#define MAX_ARGS 4096

static int park(const char *server)
{
    char *end;
    long parent = strtol(server, &end, 10);
    if (*end || parent <= 1) fail("bad server pid", server);
    size_t size = 0;
    for (;;) {
        char c;
        ssize_t n = read(0, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return 125; /* the server closed the pipe: nothing to run */
        if (c == '\n') break;
        if (c < '0' || c > '9' || size > MAX_LINE / 10) fail("bad program line length", NULL);
        size = size * 10 + (size_t)(c - '0');
    }
    if (size == 0 || size > MAX_LINE) fail("bad program line length", NULL);
    char *line = malloc(size);
    if (!line) fail("out of memory", NULL);
    for (size_t got = 0; got < size;) {
        ssize_t n = read(0, line + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail("program line cut short", NULL);
        got += (size_t)n;
    }
    if (line[size - 1] != 0) fail("program line not NUL-terminated", NULL);
    static char *args[MAX_ARGS + 1];
    int count = 0;
    for (size_t at = 0; at < size; at += strlen(line + at) + 1) {
        if (count == MAX_ARGS) fail("too many arguments", NULL);
        args[count++] = line + at;
    }
    args[count] = NULL;
    if (getppid() != (pid_t)parent) return 125; /* the server is gone: nothing of it runs */
    execv(args[0], args);
    fprintf(stderr, "soma-sandbox: cannot run %s: %s\n", args[0], strerror(errno));
    return 126;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--park") == 0) return park(argv[2]);

    const char *ro[MAX_RULES], *rw[MAX_RULES];
    unsigned long ports[MAX_RULES];
    int n_ro = 0, n_rw = 0, n_ports = 0, required = 1, i;
    const char *relay = NULL;

    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0) { i++; break; }
        if (strcmp(arg, "--landlock=optional") == 0) { required = 0; continue; }
        if (strcmp(arg, "--landlock=required") == 0) { required = 1; continue; }
        if (i + 1 >= argc) fail("missing value for", arg);
        const char *value = argv[++i];
        if (strcmp(arg, "--ro") == 0 && n_ro < MAX_RULES) { ro[n_ro++] = value; continue; }
        if (strcmp(arg, "--rw") == 0 && n_rw < MAX_RULES) { rw[n_rw++] = value; continue; }
        if (strcmp(arg, "--egress-relay") == 0) { relay = value; continue; }
        if (strcmp(arg, "--connect") == 0 && n_ports < MAX_RULES) {
            char *end;
            unsigned long port = strtoul(value, &end, 10);
            if (*end || port == 0 || port > 65535) fail("bad port", value);
            ports[n_ports++] = port;
            continue;
        }
        if (strcmp(arg, "--rlimit") == 0) {
            char name[16];
            const char *eq = strchr(value, '=');
            if (!eq || (size_t)(eq - value) >= sizeof name) fail("bad rlimit", value);
            memcpy(name, value, (size_t)(eq - value));
            name[eq - value] = 0;
            int resource = limit_resource(name);
            char *end;
            unsigned long long n = strtoull(eq + 1, &end, 10);
            if (resource < 0 || *end || eq[1] == 0) fail("bad rlimit", value);
            struct rlimit limit = { (rlim_t)n, (rlim_t)n };
            if (setrlimit(resource, &limit) != 0) fail_errno("setrlimit", value);
            continue;
        }
        fail("unknown option", arg);
    }
    if (i >= argc) fail("no program to run", NULL);

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail_errno("no_new_privs", NULL);
    if (relay) start_relay(relay);

    int abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
    if (abi < 0) {
        if (required) fail_errno("Landlock is required but unavailable:", "");
    } else {
        uint64_t all = fs_rights(abi);
        struct ruleset_attr attr = { .handled_access_fs = all };
        if (abi >= 4) attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP;
        if (abi >= 6) attr.scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL;
        int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
        if (ruleset < 0) fail_errno("landlock_create_ruleset", NULL);

        for (int k = 0; k < n_ro + n_rw; k++) {
            const char *path = k < n_ro ? ro[k] : rw[k - n_ro];
            uint64_t rights = k < n_ro ? (FS_EXECUTE | FS_READ_FILE | FS_READ_DIR) : all;
            if (k < n_ro && strcmp(path, "/dev") == 0) rights |= FS_WRITE_FILE | (abi >= 5 ? FS_IOCTL_DEV : 0) | (abi >= 3 ? FS_TRUNCATE : 0);
            struct path_beneath_attr rule = { .allowed_access = rights & all };
            rule.parent_fd = open(path, O_PATH | O_CLOEXEC | O_DIRECTORY);
            if (rule.parent_fd < 0) fail_errno("open", path);
            if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &rule, 0) != 0) fail_errno("landlock_add_rule", path);
            close(rule.parent_fd);
        }
        if (abi >= 4) {
            for (int k = 0; k < n_ports; k++) {
                struct net_port_attr rule = { .allowed_access = NET_CONNECT_TCP, .port = ports[k] };
                if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_NET_PORT, &rule, 0) != 0) fail_errno("landlock_add_rule port", NULL);
            }
        }
        if (syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) fail_errno("landlock_restrict_self", NULL);
        close(ruleset);
    }

    execvp(argv[i], &argv[i]);
    fprintf(stderr, "soma-sandbox: cannot run %s: %s\n", argv[i], strerror(errno));
    return errno == ENOENT ? 127 : 126;
}
