using Soma.Core.Policy;

namespace Soma.Policy.Opa;

/// <summary>
/// One HTTP call to OPA as a value: the answer's body, or why there is none. Failures are values, not exceptions, so
/// the breaker counts them without an exception on the decision path.
/// </summary>
/// <param name="Body">The 2xx answer's body, when OPA answered.</param>
/// <param name="FailureReason">The fail-closed reason code (<see cref="PolicyReasons.Timeout"/> or <see cref="PolicyReasons.Error"/>), when it failed.</param>
/// <param name="Status">The HTTP status of an error answer, else 0.</param>
/// <param name="ErrorCode">OPA's error <c>code</c> of an error answer.</param>
/// <param name="Exception">What cut or refused the connection.</param>
internal sealed record OpaCall(byte[]? Body, string? FailureReason, int Status, string? ErrorCode, Exception? Exception)
{
    public bool Failed => FailureReason is not null;

    public static OpaCall Answered(byte[] body) => new(body, null, 0, null, null);

    public static OpaCall TimedOut() => new(null, PolicyReasons.Timeout, 0, null, null);

    public static OpaCall HttpError(int status, string code) => new(null, PolicyReasons.Error, status, code, null);

    public static OpaCall Unreachable(Exception exception) => new(null, PolicyReasons.Error, 0, null, exception);
}
