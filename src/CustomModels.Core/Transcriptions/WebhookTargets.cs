using System.Net;
using System.Net.Http;
using System.Net.Sockets;

namespace CustomModels.Core.Transcriptions;

/// <summary>A webhook's host is, or resolves to, an address that webhooks may not reach.</summary>
public sealed class WebhookAddressRefused(string message) : Exception(message);

/// <summary>
/// Decides which addresses a webhook may reach: public ones only, so that a tenant cannot use the
/// service to reach the operator's own network (cloud metadata, databases, admin ports), unless the
/// operator allowed the host by name (CUSTOMMODELS_WEBHOOK_ALLOWED_HOSTS). The submission asks it
/// about a literal address (<see cref="RefusalOf"/>); the sender connects only through
/// <see cref="ConnectAsync"/>, which resolves the name, checks every address and connects to exactly
/// the checked ones, so a name that resolves differently the second time (DNS rebinding) gains nothing.
/// </summary>
public sealed class WebhookTargets
{
    /// <summary>Networks that are not the public internet (IANA special-purpose registries); IPv4-mapped IPv6 is checked as IPv4.</summary>
    static readonly IPNetwork[] NotPublic = [.. new[]
    {
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
        "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
        "224.0.0.0/4", "240.0.0.0/4",
        // IPv6 outside 2000::/3 (global unicast) is refused whole: ::, ::1, NAT64, fc00::/7, fe80::/10, ff00::/8…
        // Within it: IETF protocol assignments with Teredo (which embeds an IPv4 address), documentation, 6to4 (idem).
        "2001::/23", "2001:db8::/32", "2002::/16", "3fff::/20",
    }.Select(IPNetwork.Parse)];

    static readonly IPNetwork GlobalUnicast = IPNetwork.Parse("2000::/3");

    readonly HashSet<string> allowedHosts;

    public WebhookTargets(IEnumerable<string> allowedHosts) =>
        this.allowedHosts = allowedHosts.Select(Normalize).Where(h => h.Length > 0).ToHashSet(StringComparer.Ordinal);

    /// <summary>Whether a webhook may connect to this address.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && !GlobalUnicast.Contains(address)) return false;
        return !NotPublic.Any(n => n.BaseAddress.AddressFamily == address.AddressFamily && n.Contains(address));
    }

    /// <summary>Whether the operator allowed this host by name.</summary>
    public bool IsAllowedHost(string host) => allowedHosts.Contains(Normalize(host));

    /// <summary>
    /// Why a submitted URL's host is refused, or null. Only a literal address is judged here, in any
    /// spelling the URL parser or the resolver would read as one (127.1, 0x7f.1, 2130706433, a trailing
    /// dot, full-width digits); a name is judged at each delivery, by what it resolves to then.
    /// </summary>
    public string? RefusalOf(Uri url)
    {
        if (IsAllowedHost(url.IdnHost)) return null;
        return LiteralAddress(url.IdnHost) is { } address && !IsPublic(address)
            ? $"Must reach a public address; {address} is loopback, private, link-local, shared, multicast or reserved"
            : null;
    }

    /// <summary>
    /// The webhook client's ConnectCallback: resolves the host, refuses it when any address it has is
    /// not public (unless the host is allowed by name), and connects to the addresses it checked.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = LiteralAddress(host) is { } literal ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        if (addresses.Length == 0) throw new WebhookAddressRefused($"address not allowed: {host} has no address");
        if (!IsAllowedHost(host) && addresses.FirstOrDefault(a => !IsPublic(a)) is { } refused)
            throw new WebhookAddressRefused($"address not allowed: {host} resolves to {refused}, which is not a public address");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The host a delivery goes to, as the per-host limit of deliveries counts it.</summary>
    public static string HostOf(Uri url) => Normalize(url.IdnHost);

    /// <summary>The address a host names literally (brackets and one trailing dot aside), or null for a name.</summary>
    static IPAddress? LiteralAddress(string host) =>
        IPAddress.TryParse(host.Trim('[', ']').TrimEnd('.'), out var address) ? address : null;

    /// <summary>Host names compare without case or trailing dot; addresses in their canonical text.</summary>
    static string Normalize(string host)
    {
        var trimmed = host.Trim().TrimEnd('.');
        return LiteralAddress(trimmed) is { } address ? address.ToString() : trimmed.ToLowerInvariant();
    }
}
