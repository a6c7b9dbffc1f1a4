using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Quotas.Client;

/// <summary><c>services.AddQuotasClient(o => { o.BaseAddress = ...; o.ApiKey = ...; })</c>: a typed client on IHttpClientFactory.</summary>
public static class QuotasClientRegistration
{
    /// <summary>
    /// Registers <see cref="QuotasClient"/> as a typed client. The options are validated when the host starts, so a
    /// missing address or key stops the application with a message that names the setting.
    /// </summary>
    public static IHttpClientBuilder AddQuotasClient(this IServiceCollection services, Action<QuotasClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<QuotasClientOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<QuotasClientOptions>, OptionsValidator>());
        return services.AddHttpClient<QuotasClient>();
    }

    private sealed class OptionsValidator : IValidateOptions<QuotasClientOptions>
    {
        public ValidateOptionsResult Validate(string? name, QuotasClientOptions options)
        {
            var errors = options.Validate();
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
