package dev.tandem.benchmarks;

import dev.tandem.conf.Cidr;
import dev.tandem.conf.ForwardingConfig;
import dev.tandem.proxy.http.ForwardingHeaders;
import dev.tandem.proxy.http.HopByHopHeaders;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Rewriting a browser-like request head for the upstream: hop-by-hop headers removed and the forwarding
 * headers set, for a direct client (its headers replaced) and for a trusted proxy in front (extended).
 * Each operation starts from a fresh copy of the incoming headers, as a decoded request would;
 * {@link #copyOnly} measures that copy alone, to subtract. The forwarding headers are those of one keep-alive
 * connection (what depends on the peer alone is worked out once per connection, as in the proxy);
 * {@link #newConnection} is the first request of a connection.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ForwardingHeadersBenchmark {

    private HttpHeaders direct;
    private HttpHeaders viaProxy;
    private InetSocketAddress client;
    private ForwardingHeaders clientConnection;
    private ForwardingHeaders proxyConnection;
    private ForwardingConfig forwarding;

    @Setup
    public void setUp() throws Exception {
        direct = browserHeaders();
        direct.set("X-Forwarded-For", "203.0.113.66");   // forged by the client: replaced
        viaProxy = browserHeaders();
        viaProxy.set("X-Forwarded-For", "198.51.100.7, 10.1.2.3");
        viaProxy.set("X-Forwarded-Proto", "https");
        client = new InetSocketAddress(InetAddress.getByName("198.51.100.7"), 51234);
        clientConnection = new ForwardingHeaders(client);
        proxyConnection = new ForwardingHeaders(new InetSocketAddress(InetAddress.getByName("10.0.0.5"), 51234));
        forwarding = new ForwardingConfig(List.of(Cidr.parse("10.0.0.0/8")));
    }

    private static HttpHeaders browserHeaders() {
        HttpHeaders h = new DefaultHttpHeaders();
        h.set("Host", "www.example.com");
        h.set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0");
        h.set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
        h.set("Accept-Language", "en-GB,en;q=0.5");
        h.set("Accept-Encoding", "gzip, deflate, br");
        h.set("Connection", "keep-alive");
        h.set("Cookie", "session=0123456789abcdef; theme=dark");
        h.set("Upgrade-Insecure-Requests", "1");
        return h;
    }

    @Benchmark
    public HttpHeaders copyOnly() {
        return new DefaultHttpHeaders().set(direct);
    }

    @Benchmark
    public HttpHeaders directClient() {
        HttpHeaders h = new DefaultHttpHeaders().set(direct);
        HopByHopHeaders.strip(h);
        clientConnection.apply(h, "http", "www.example.com", forwarding);
        return h;
    }

    @Benchmark
    public HttpHeaders newConnection() {
        HttpHeaders h = new DefaultHttpHeaders().set(direct);
        HopByHopHeaders.strip(h);
        ForwardingHeaders.apply(h, client, "http", "www.example.com", forwarding);
        return h;
    }

    @Benchmark
    public HttpHeaders trustedProxyInFront() {
        HttpHeaders h = new DefaultHttpHeaders().set(viaProxy);
        HopByHopHeaders.strip(h);
        proxyConnection.apply(h, "http", "www.example.com", forwarding);
        return h;
    }
}
