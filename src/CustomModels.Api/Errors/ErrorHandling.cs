using Microsoft.AspNetCore.Diagnostics;

namespace CustomModels.Api.Errors;

/// <summary>Makes sure nothing leaves the service as an HTML page, a stack trace or an empty error.</summary>
public static class ErrorHandling
{
    public static WebApplication UseApiErrors(this WebApplication app)
    {
        app.UseExceptionHandler(errorApp => errorApp.Run(async context =>
        {
            var exception = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            ApiError error;
            if (exception is BadHttpRequestException bad)
                error = ApiError.ForBareStatus(bad.StatusCode);
            else
            {
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("CustomModels.Errors")
                    .LogError(exception, "Unhandled exception for {Method} {Path}", context.Request.Method, context.Request.Path);
                error = ApiError.ForBareStatus(StatusCodes.Status500InternalServerError);
            }
            await error.WriteAsync(context.Response);
        }));

        // Routing's 404 and 405, and any other status set without a body, get the error shape.
        app.UseStatusCodePages(async statusContext =>
        {
            var response = statusContext.HttpContext.Response;
            if (response.StatusCode >= 400)
                await ApiError.ForBareStatus(response.StatusCode).WriteAsync(response);
        });
        return app;
    }
}
