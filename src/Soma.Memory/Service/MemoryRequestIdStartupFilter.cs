using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Soma.Memory.Service;

/// <summary>
/// Echoes <c>X-Request-ID</c> (or a new one when the request had none) on every response of the memory service's
/// endpoints. It sits at the very start of the pipeline, so responses written by authentication (401, 403) carry it
/// too; the endpoint is looked up when the headers go out, after routing has chosen it.
/// </summary>
internal sealed class MemoryRequestIdStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(static (context, nextMiddleware) =>
        {
            context.Response.OnStarting(static state =>
            {
                var http = (HttpContext)state;
                if (http.GetEndpoint()?.Metadata.GetMetadata<MemoryServiceEndpointMetadata>() is not null)
                {
                    var id = http.Request.Headers[MemoryServiceEndpoints.RequestIdHeader].ToString();
                    http.Response.Headers[MemoryServiceEndpoints.RequestIdHeader] = string.IsNullOrWhiteSpace(id) || id.Length > 200
                        ? Guid.CreateVersion7().ToString("N")
                        : id;
                }

                return Task.CompletedTask;
            }, context);
            return nextMiddleware(context);
        });
        next(app);
    };
}
