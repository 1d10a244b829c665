// ToJsonString() of the output objects, as the official models have it: the object as Graph's JSON, camelCase names, nulls left out.
using System;
using MgLicense.Native;

namespace MgLicense.Models
{
    /// <summary>
    /// The official models' ToJsonString() (AutoRest model-extensions.ts): the object as Graph's JSON. Scripts use it as
    /// <c>$u.ToJsonString() | ConvertFrom-Json</c> or to log an object. MgLicense.types.ps1xml makes it a method of every
    /// output type; it is written here once, for typed models and PSObjects alike.
    /// </summary>
    public static class ModelJson
    {
        /// <summary>
        /// Graph's JSON: dates in UTC to the second, NaN and infinities as null, any object as a model, and nesting at most 32
        /// deep (Graph's objects are a few levels deep; a cycle would be endless), deeper containers as null: it never fails.
        /// </summary>
        private static readonly JsonValueRules Rules = new JsonValueRules
        {
            MaxDepth = 32,
            UtcDates = true,
            Text = new[] { typeof(TimeSpan) },
            Objects = JsonObjects.Model,
            AdditionalProperties = GraphObject.AdditionalPropertiesName,
        };

        /// <summary>The object as Graph's JSON: its properties under their camelCase names, AdditionalProperties as they came.</summary>
        public static string ToJsonString(object? instance)
        {
            var json = new JsonWriter();
            Json.WriteValue(json, instance, Rules, "the object");
            return json.ToString();
        }
    }
}
