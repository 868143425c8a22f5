namespace CustomModels.Core;

public static class TimeProviderExtensions
{
    /// <summary>Now in UTC, to the second: the API shows seconds, and equal instants must compare equal.</summary>
    public static DateTime UtcNowToSecond(this TimeProvider time)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
    }
}
