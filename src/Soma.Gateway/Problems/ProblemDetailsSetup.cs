using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Soma.Gateway.Problems;

/// <summary>Fills in what every problem response carries: a stable type, the trace id, and never exception text.</summary>
internal static class ProblemDetailsSetup
{
    public static void Customize(Microsoft.AspNetCore.Http.ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var status = problem.Status ?? context.HttpContext.Response.StatusCode;
        if (string.IsNullOrEmpty(problem.Type) || problem.Type.StartsWith("https://tools.ietf.org/", StringComparison.Ordinal))
        {
            problem.Type = ProblemTypes.ForStatus(status);
        }

        if (status >= 500 && context.Exception is not null)
        {
            // Exception text stays in the log; the client gets the trace id to quote.
            problem.Title = "Internal error";
            problem.Detail = "The request failed unexpectedly; quote the trace_id when reporting it.";
        }

        problem.Instance ??= context.HttpContext.Request.Path;
        problem.Extensions.Remove("traceId");
        problem.Extensions.Remove("exception");
        problem.Extensions["trace_id"] = Activity.Current?.TraceId.ToString() ?? context.HttpContext.TraceIdentifier;
    }

    public static Task WriteStatusAsync(HttpContext httpContext, int status, string type, string title, string? detail, string? code = null)
    {
        var service = httpContext.RequestServices.GetRequiredService<IProblemDetailsService>();
        httpContext.Response.StatusCode = status;
        var context = new Microsoft.AspNetCore.Http.ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = { Status = status, Type = type, Title = title, Detail = detail },
        };
        if (code is not null)
        {
            context.ProblemDetails.Extensions["code"] = code;
        }

        return service.WriteAsync(context).AsTask();
    }
}
