using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Anomaly.ED.AspNetCore.Endpoints;

/// <summary>
/// Describes the predict endpoint's request body in OpenAPI documents. The endpoint reads its body itself, and
/// <c>Accepts</c> metadata would make routing answer other media types with a bare 415 before the handler could name
/// what was wrong, so the body is described here instead.
/// </summary>
internal sealed class PredictRequestBody : IOpenApiOperationTransformer
{
    /// <summary>Endpoint metadata marking the predict endpoint.</summary>
    public static readonly object Marker = new PredictEndpointMarker();

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (!context.Description.ActionDescriptor.EndpointMetadata.Contains(Marker))
        {
            return Task.CompletedTask;
        }

        var content = ImageUpload.ImageTypes.ToDictionary(t => t, _ => new OpenApiMediaType { Schema = Binary() });
        content[ImageUpload.Multipart] = new OpenApiMediaType
        {
            Schema = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Properties = new Dictionary<string, IOpenApiSchema> { ["images"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = Binary() } },
            },
        };
        operation.RequestBody = new OpenApiRequestBody { Required = true, Description = "One encoded image, or image files as multipart file parts (any field name).", Content = content };
        return Task.CompletedTask;
    }

    private static OpenApiSchema Binary() => new() { Type = JsonSchemaType.String, Format = "binary" };

    private sealed class PredictEndpointMarker;
}
