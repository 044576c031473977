using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Soma.Tools.Sandbox;

/// <summary>
/// The seccomp program every sandboxed process runs under, as classic BPF (what bubblewrap's <c>--seccomp</c> reads):
/// the architecture must be x86-64 (anything else, including the x32 ABI, is refused), system calls that take the
/// kernel's own machinery (ptrace, mount, kexec, bpf, modules, keyrings, perf, namespaces, …) kill the process with
/// SIGSYS so the call shows as a seccomp denial, and <c>clone</c> with a namespace flag, <c>clone3</c> (whose flags a
/// filter cannot read) and <c>ioctl(TIOCSTI)</c> fail with an error the program can handle.
/// </summary>
public static class SeccompFilter
{
    /// <summary>System calls that kill the process (x86-64 numbers).</summary>
    public static readonly IReadOnlyDictionary<string, int> Killed = new Dictionary<string, int>
    {
        ["ptrace"] = 101,
        ["mount"] = 165,
        ["umount2"] = 166,
        ["pivot_root"] = 155,
        ["chroot"] = 161,
        ["swapon"] = 167,
        ["swapoff"] = 168,
        ["reboot"] = 169,
        ["acct"] = 163,
        ["iopl"] = 172,
        ["ioperm"] = 173,
        ["init_module"] = 175,
        ["delete_module"] = 176,
        ["finit_module"] = 313,
        ["kexec_load"] = 246,
        ["kexec_file_load"] = 320,
        ["bpf"] = 321,
        ["add_key"] = 248,
        ["request_key"] = 249,
        ["keyctl"] = 250,
        ["perf_event_open"] = 298,
        ["unshare"] = 272,
        ["setns"] = 308,
        ["name_to_handle_at"] = 303,
        ["open_by_handle_at"] = 304,
        ["process_vm_readv"] = 310,
        ["process_vm_writev"] = 311,
        ["userfaultfd"] = 323,
        ["open_tree"] = 428,
        ["move_mount"] = 429,
        ["fsopen"] = 430,
        ["fsconfig"] = 431,
        ["fsmount"] = 432,
        ["fspick"] = 433,
        ["mount_setattr"] = 442,
        ["lookup_dcookie"] = 212,
        ["quotactl"] = 179,
        ["settimeofday"] = 164,
        ["clock_settime"] = 227,
        ["adjtimex"] = 159,
        ["vhangup"] = 153,
        ["syslog"] = 103,
        // io_uring runs file and socket operations in kernel threads that seccomp never sees, and has been the way in
        // for many kernel exploits; nothing a tool needs uses it.
        ["io_uring_setup"] = 425,
        ["io_uring_enter"] = 426,
        ["io_uring_register"] = 427,
    };

    private const uint AuditArchX8664 = 0xC000003E;
    private const int Clone = 56, Clone3 = 435, Ioctl = 16;
    private const uint NamespaceFlags = 0x7E020080; // CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWTIME
    private const uint Tiocsti = 0x5412;
    private const uint RetKillProcess = 0x80000000, RetErrno = 0x00050000, RetAllow = 0x7FFF0000;
    private const uint Eperm = 1, Enosys = 38;

    // BPF opcodes.
    private const ushort LdAbsW = 0x20, JeqK = 0x15, JgeK = 0x35, JsetK = 0x45, RetK = 0x06;

    /// <summary>Whether this process's architecture has a filter (x86-64 only, for now).</summary>
    public static bool Supported => RuntimeInformation.ProcessArchitecture == Architecture.X64 && OperatingSystem.IsLinux();

    /// <summary>The program, as the kernel's <c>struct sock_filter</c> array (8 bytes an instruction).</summary>
    public static byte[] Build()
    {
        var program = new List<(ushort Code, byte Jt, byte Jf, uint K)>
        {
            (LdAbsW, 0, 0, 4), // seccomp_data.arch
            (JeqK, 1, 0, AuditArchX8664),
            (RetK, 0, 0, RetKillProcess),
            (LdAbsW, 0, 0, 0), // seccomp_data.nr
            (JgeK, 0, 1, 0x40000000), // x32 ABI
            (RetK, 0, 0, RetKillProcess),
        };

        foreach (var nr in Killed.Values.Order())
        {
            program.Add((JeqK, 0, 1, (uint)nr));
            program.Add((RetK, 0, 0, RetKillProcess));
        }

        program.Add((JeqK, 0, 1, Clone3));
        program.Add((RetK, 0, 0, RetErrno | Enosys)); // libc falls back to clone, whose flags are checked below
        program.Add((JeqK, 0, 4, Clone));
        program.Add((LdAbsW, 0, 0, 16)); // args[0], low word: the flags
        program.Add((JsetK, 0, 1, NamespaceFlags));
        program.Add((RetK, 0, 0, RetErrno | Eperm));
        program.Add((RetK, 0, 0, RetAllow));
        program.Add((JeqK, 0, 4, Ioctl));
        program.Add((LdAbsW, 0, 0, 24)); // args[1], low word: the request
        program.Add((JeqK, 0, 1, Tiocsti));
        program.Add((RetK, 0, 0, RetErrno | Eperm));
        program.Add((RetK, 0, 0, RetAllow));
        program.Add((RetK, 0, 0, RetAllow));

        var bytes = new byte[program.Count * 8];
        for (var i = 0; i < program.Count; i++)
        {
            var (code, jt, jf, k) = program[i];
            var slot = bytes.AsSpan(i * 8, 8);
            BinaryPrimitives.WriteUInt16LittleEndian(slot, code);
            slot[2] = jt;
            slot[3] = jf;
            BinaryPrimitives.WriteUInt32LittleEndian(slot[4..], k);
        }

        return bytes;
    }
}
