using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace Quotas.Host.Tests;

/// <summary>
/// The processes' environments as docker-compose.yml and deploy/kubernetes/quotas.yaml give them, with their
/// references (compose's <c>${VAR:-default}</c>, Kubernetes' <c>valueFrom</c>) resolved from values the test supplies.
/// </summary>
internal static partial class DeploymentFiles
{
    public const string ComposeFile = "docker-compose.yml";
    public const string KubernetesFile = "deploy/kubernetes/quotas.yaml";

    /// <summary>Every service of the compose file with its environment, merge keys (<c>&lt;&lt;</c>) applied.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ComposeServices(IReadOnlyDictionary<string, string> variables)
    {
        var root = Documents(RepositoryFiles.Read(ComposeFile)).Single();
        var services = new Dictionary<string, IReadOnlyDictionary<string, string>>();
        foreach (var (name, service) in Map(root["services"]))
        {
            var environment = Map(service).TryGetValue("environment", out var values) ? Map(values) : [];
            services[(string)name] = environment.ToDictionary(e => (string)e.Key, e => Interpolate((string)e.Value, variables));
        }

        return services;
    }

    /// <summary>The ports each service of the compose file publishes, as written (<c>host:container</c>, with an address or not).</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> ComposePorts()
    {
        var root = Documents(RepositoryFiles.Read(ComposeFile)).Single();
        return Map(root["services"]).ToDictionary(
            s => (string)s.Key,
            s => (IReadOnlyList<string>)(Map(s.Value).TryGetValue("ports", out var ports) ? [.. ((List<object>)ports).Select(p => (string)p)] : []));
    }

    /// <summary>
    /// The environment of the first container of the Deployment <paramref name="deployment"/>; <paramref name="resolve"/>
    /// gives the value of a <c>valueFrom</c> (a secret's key, a field of the pod) by its description.
    /// </summary>
    public static IReadOnlyDictionary<string, string> KubernetesEnvironment(string deployment, Func<string, string> resolve)
    {
        var document = Documents(RepositoryFiles.Read(KubernetesFile))
            .Single(d => (string)d["kind"] == "Deployment" && (string)Map(d["metadata"])["name"] == deployment);
        var template = Map(Map(Map(document["spec"])["template"])["spec"]);
        var container = Map(((List<object>)template["containers"])[0]);
        var environment = new Dictionary<string, string>();
        foreach (var entry in ((List<object>)container["env"]).Select(Map))
        {
            environment[(string)entry["name"]] = entry.TryGetValue("value", out var value)
                ? (string)value
                : resolve(Describe(Map(entry["valueFrom"])));
        }

        return environment;
    }

    /// <summary>"secret quotas/admin-key" or "field status.podIP".</summary>
    private static string Describe(Dictionary<object, object> valueFrom) => valueFrom.Single() switch
    {
        { Key: "secretKeyRef", Value: var secret } => $"secret {Map(secret)["name"]}/{Map(secret)["key"]}",
        { Key: "fieldRef", Value: var field } => $"field {Map(field)["fieldPath"]}",
        var other => throw new InvalidOperationException($"{KubernetesFile}: a valueFrom of kind {other.Key} the test does not know."),
    };

    /// <summary>
    /// Compose's <c>${VAR}</c>, <c>${VAR-default}</c> (the default when unset) and <c>${VAR:-default}</c> (the default when
    /// unset or empty), from <paramref name="variables"/>.
    /// </summary>
    private static string Interpolate(string value, IReadOnlyDictionary<string, string> variables) => VariablePattern().Replace(value, match =>
    {
        var given = variables.GetValueOrDefault(match.Groups["name"].Value);
        var useDefault = match.Groups["default"].Success && (given is null || (given.Length == 0 && match.Groups["colon"].Success));
        return useDefault ? match.Groups["default"].Value
            : given ?? throw new InvalidOperationException($"{ComposeFile} uses ${{{match.Groups["name"].Value}}}, which the test gives no value.");
    });

    private static List<Dictionary<object, object>> Documents(string yaml)
    {
        var deserializer = new DeserializerBuilder().Build();
        var parser = new MergingParser(new Parser(new StringReader(yaml)));
        parser.Consume<StreamStart>();
        var documents = new List<Dictionary<object, object>>();
        while (parser.Accept<DocumentStart>(out _))
        {
            documents.Add(deserializer.Deserialize<Dictionary<object, object>>(parser));
        }

        return documents;
    }

    private static Dictionary<object, object> Map(object node) => (Dictionary<object, object>)node;

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?<colon>:)?-(?<default>[^}]*))?\}")]
    private static partial Regex VariablePattern();
}
