using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Orchestrator.Bench;

/// <summary>The yardstick: the same bytes over one plain TCP socket on loopback, in the same chunk size.</summary>
public static class RawTcpThroughput
{
    /// <returns>Bytes per second.</returns>
    public static async Task<double> Measure(long totalBytes, int chunkBytes)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var receive = Task.Run(async () =>
        {
            using var server = await listener.AcceptTcpClientAsync();
            await using var stream = server.GetStream();
            var buffer = new byte[chunkBytes];
            long received = 0;
            while (received < totalBytes)
            {
                var n = await stream.ReadAsync(buffer);
                if (n == 0)
                    break;
                received += n;
            }
            return received;
        });
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var payload = new byte[chunkBytes];
        Random.Shared.NextBytes(payload);
        var clock = Stopwatch.StartNew();
        await using (var stream = client.GetStream())
        {
            for (long sent = 0; sent < totalBytes; sent += chunkBytes)
                await stream.WriteAsync(payload.AsMemory(0, (int)Math.Min(chunkBytes, totalBytes - sent)));
        }
        var received = await receive;
        return received / clock.Elapsed.TotalSeconds;
    }
}
