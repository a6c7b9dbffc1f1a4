using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Quotas.Gateway.Api;

/// <summary>
/// Refuses a null item in a list of a request body (<c>"quotas":[null]</c>) as malformed JSON. The serializer
/// respects nullable annotations on properties but not on the items of a generic list, so a null item used to reach
/// the endpoint and fail there with a 500. Added to the API's JSON rules (<see cref="ApiJson"/>), it covers every body
/// the API reads, so no endpoint checks its own lists. A list whose items are declared nullable (<c>string?</c>)
/// still takes null.
/// </summary>
internal static class NullListItems
{
    /// <summary>A type-info modifier: objects with lists of non-null items check them once read.</summary>
    public static void Refuse(JsonTypeInfo type)
    {
        if (type.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        var nullability = new NullabilityInfoContext();
        var lists = type.Properties
            .Where(p => p.Get is not null && HasNonNullItems(p, nullability))
            .Select(p => (p.Name, Get: p.Get!))
            .ToArray();
        if (lists.Length == 0)
        {
            return;
        }

        var previous = type.OnDeserialized;
        type.OnDeserialized = value =>
        {
            previous?.Invoke(value);
            foreach (var (name, get) in lists)
            {
                Check(name, get(value));
            }
        };
    }

    private static void Check(string name, object? list)
    {
        if (list is not IEnumerable items)
        {
            return;
        }

        var index = 0;
        foreach (var item in items)
        {
            if (item is null)
            {
                throw new JsonException($"The list '{name}' has null at index {index}: a list takes no null items; send each item in full, or leave it out.");
            }

            index++;
        }
    }

    private static bool HasNonNullItems(JsonPropertyInfo property, NullabilityInfoContext nullability)
    {
        if (property.PropertyType == typeof(string) || ItemType(property.PropertyType) is not { IsValueType: false })
        {
            return false;
        }

        // Null items are allowed only where the item type says so; without annotations (Unknown) they are refused.
        var declared = property.AttributeProvider switch
        {
            PropertyInfo p => nullability.Create(p),
            FieldInfo f => nullability.Create(f),
            _ => null,
        };
        var item = declared?.ElementType ?? (declared?.GenericTypeArguments is [var only] ? only : null);
        return item?.ReadState != NullabilityState.Nullable;
    }

    private static Type? ItemType(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>) ? type.GetGenericArguments()[0]
        : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];
}
