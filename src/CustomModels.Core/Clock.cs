namespace CustomModels.Core;

public static class Clock
{
    /// <summary>Now in UTC, to the second: the API shows seconds, and equal instants must compare equal.</summary>
    public static DateTime UtcNow()
    {
        var now = DateTime.UtcNow;
        return new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
    }
}
