using Soma.Core.Messaging;
using Soma.Core.Streaming;

namespace Soma.Messaging.Nats.Live;

/// <summary>The core NATS subjects of live deltas (nothing on them is stored).</summary>
internal static class LiveSubjects
{
    /// <summary>The token after the live subject that asks for a snapshot.</summary>
    public const string SnapshotToken = "snapshot";

    /// <summary><c>soma.{tenant}.live.{session}</c>: deltas and durable wake-ups.</summary>
    public static string Live(SessionKey session) => EventSubjects.Live(session.TenantId, session.SessionId);

    /// <summary><c>soma.{tenant}.live.{session}.snapshot</c>: answered by each process with an answer in progress for the session.</summary>
    public static string Snapshot(SessionKey session) => Live(session) + "." + SnapshotToken;
}
