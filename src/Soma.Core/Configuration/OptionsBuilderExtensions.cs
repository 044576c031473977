using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Soma.Core.Configuration;

/// <summary>Binding and start-up validation of SomaAgent's options, one way for every section.</summary>
public static class OptionsBuilderExtensions
{
    /// <summary>
    /// Binds <typeparamref name="TOptions"/> from <paramref name="sectionName"/> and validates its data annotations at
    /// start-up, reporting each failure under its full key.
    /// </summary>
    public static OptionsBuilder<TOptions> BindAndValidate<TOptions>(this IServiceCollection services, string sectionName)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<IValidateOptions<TOptions>>(new KeyNamingValidator<TOptions>(sectionName));
        return services.AddOptions<TOptions>().BindConfiguration(sectionName).ValidateOnStart();
    }
}
