using System.Security.Claims;

namespace Soma.Gateway.Auth;

/// <summary>The claims SomaAgent reads from a bearer token, and accessors for the authenticated principal.</summary>
public static class SomaClaims
{
    /// <summary>The tenant the caller acts in; the only source of tenancy for a request.</summary>
    public const string Tenant = "tenant";

    /// <summary>The caller's subject (user or service id).</summary>
    public const string Subject = "sub";

    /// <summary>The caller's roles (a JSON array, or a single string).</summary>
    public const string Roles = "roles";

    /// <summary>The tenant of an authenticated principal. Authentication guarantees it is present and well-formed.</summary>
    public static string GetTenantId(this ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return principal.FindFirstValue(Tenant)
            ?? throw new InvalidOperationException("The principal has no tenant claim; the endpoint must require authentication.");
    }

    /// <summary>The subject of an authenticated principal, or <c>unknown</c>.</summary>
    public static string GetSubject(this ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return principal.FindFirstValue(Subject) ?? "unknown";
    }

    /// <summary>The roles of an authenticated principal (each <c>roles</c> claim), in token order without duplicates.</summary>
    public static IReadOnlyList<string> GetRoles(this ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return [.. principal.FindAll(Roles).Select(c => c.Value).Where(r => r.Length > 0).Distinct(StringComparer.Ordinal)];
    }
}
