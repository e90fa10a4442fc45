// An ONNX-only prediction service: exported graphs (.onnx) on ONNX Runtime, no TorchSharp and no libtorch.
//   Anomaly.ED.OnnxService --AnomalyDetectionService:Models:0:Path=models/bottle.onnx [--urls http://0.0.0.0:8080]
// or the same keys in appsettings.json or in the environment (AnomalyDetectionService__Models__0__Path=...).
// Listens on loopback only unless told (appsettings.json); endpoints, limits and errors: docs/deployment.md.
using Anomaly.ED.Cli.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;

PrometheusMetrics.Configure();
var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
builder.Services.AddAnomalyDetectionService(builder.Configuration.GetSection("AnomalyDetectionService"));
builder.Services.AddOpenApi();

var app = builder.Build();
app.UseExceptionHandler();
app.MapOpenApi();
app.MapMetrics();
app.MapAnomalyDetection();
app.Run();
