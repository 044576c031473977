/*
 * soma-sandbox-exec: the last step inside a SomaAgent sandbox before the tool's program runs.
 * bubblewrap has built the namespaces, the mounts and the seccomp filter; this sets resource limits, confines the
 * process with Landlock (file-system access, TCP, signals and abstract sockets, as far as the kernel's ABI goes) and
 * executes the program. It is small on purpose, reads only its own command line, and fails closed: a rule it cannot
 * apply is an error (exit 125) unless the kernel lacks Landlock altogether and --landlock=optional was given.
 *
 * Usage: soma-sandbox-exec [--rlimit NAME=N]... [--ro DIR]... [--rw DIR]... [--connect PORT]...
 *                          [--landlock=required|optional] -- PROGRAM [ARG]...
 * NAME is one of cpu, as, fsize, nofile, nproc, core.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/prctl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
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

int main(int argc, char **argv)
{
    const char *ro[MAX_RULES], *rw[MAX_RULES];
    unsigned long ports[MAX_RULES];
    int n_ro = 0, n_rw = 0, n_ports = 0, required = 1, i;

    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0) { i++; break; }
        if (strcmp(arg, "--landlock=optional") == 0) { required = 0; continue; }
        if (strcmp(arg, "--landlock=required") == 0) { required = 1; continue; }
        if (i + 1 >= argc) fail("missing value for", arg);
        const char *value = argv[++i];
        if (strcmp(arg, "--ro") == 0 && n_ro < MAX_RULES) { ro[n_ro++] = value; continue; }
        if (strcmp(arg, "--rw") == 0 && n_rw < MAX_RULES) { rw[n_rw++] = value; continue; }
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
