using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Soma.Gateway.Problems;

/// <summary>Builds <c>application/problem+json</c> results with a stable type and a message meant for people.</summary>
internal static class Problem
{
    public static ProblemHttpResult Create(int status, string type, string title, string? detail = null, IDictionary<string, object?>? extensions = null)
    {
        var problem = new ProblemDetails { Status = status, Type = type, Title = title, Detail = detail };
        if (extensions is not null)
        {
            foreach (var (key, value) in extensions)
            {
                problem.Extensions[key] = value;
            }
        }

        return TypedResults.Problem(problem);
    }

    public static ProblemHttpResult NotFound(string what) =>
        Create(StatusCodes.Status404NotFound, ProblemTypes.NotFound, "Not found", $"{what} does not exist.");

    public static ProblemHttpResult InvalidField(string pointer, string detail) =>
        Create(StatusCodes.Status400BadRequest, ProblemTypes.InvalidField, "Invalid field", detail, new Dictionary<string, object?> { ["pointer"] = pointer });

    public static ProblemHttpResult InvalidParameter(string parameter, string detail) =>
        Create(StatusCodes.Status400BadRequest, ProblemTypes.InvalidParameter, "Invalid query parameter", detail, new Dictionary<string, object?> { ["parameter"] = parameter });

    /// <summary>409: the resource's state does not allow the request.</summary>
    public static ProblemHttpResult Conflict(string detail) =>
        Create(StatusCodes.Status409Conflict, ProblemTypes.Conflict, "Conflict", detail);
}
