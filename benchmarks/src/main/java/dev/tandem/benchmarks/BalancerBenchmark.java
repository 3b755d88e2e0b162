package dev.tandem.benchmarks;

import dev.tandem.conf.ConfigLoader;
import dev.tandem.conf.HostPort;
import dev.tandem.conf.ServerConfig;
import dev.tandem.proxy.runtime.RuntimeConfig;
import dev.tandem.proxy.upstream.Attempts;
import dev.tandem.proxy.upstream.ServerFilter;
import dev.tandem.proxy.upstream.ServerKey;
import dev.tandem.proxy.upstream.ServerState;
import dev.tandem.proxy.upstream.SmoothWeightedRoundRobin;
import dev.tandem.proxy.upstream.UpstreamGroup;
import dev.tandem.proxy.upstream.UpstreamServer;
import dev.tandem.proxy.upstream.UpstreamServerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Choosing a server for a request: the smooth weighted round-robin pick alone, and the whole selection an
 * event loop makes per request ({@link UpstreamGroup#select}: availability, the attempts filter, backups).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class BalancerBenchmark {

    /** Server weights, comma-separated: the proxy run's 1:1 pair, nginx's 5:1:1 example, and eight servers. */
    @Param({"1,1", "5,1,1", "4,4,2,2,1,1,1,1"})
    public String weights;

    private UpstreamServer[] servers;
    private SmoothWeightedRoundRobin swrr;
    private final ServerFilter everyone = s -> true;
    private UpstreamGroup group;
    private long clientHash;

    @Setup
    public void setUp() throws Exception {
        String[] w = weights.split(",");
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        servers = new UpstreamServer[w.length];
        StringBuilder yaml = new StringBuilder("""
                workers: 1
                listeners: [{ name: http, bind: "127.0.0.1:0" }]
                sites: [{ hosts: ["*"], upstream: app }]
                upstreams:
                  app:
                    servers:
                """);
        for (int i = 0; i < w.length; i++) {
            HostPort address = new HostPort("127.0.0.1", 8001 + i);
            ServerConfig config = new ServerConfig(address, Integer.parseInt(w[i]), false);
            ServerState state = new ServerState(new ServerKey("app", address),
                    new UpstreamServerMetrics(meters, "app", address.toString()));
            servers[i] = new UpstreamServer(config, new InetSocketAddress("127.0.0.1", address.port()), state, i);
            yaml.append("      - { address: \"").append(address).append("\", weight: ").append(w[i]).append(" }\n");
        }
        swrr = new SmoothWeightedRoundRobin(servers.length);
        RuntimeConfig runtime = RuntimeConfig.compile(
                ConfigLoader.fromBytes("bench.yaml", yaml.toString().getBytes(StandardCharsets.UTF_8), Path.of("."), 1),
                new dev.tandem.proxy.upstream.ServerRegistry(meters), meters, 1);
        group = runtime.upstream("app");
        clientHash = 0x9e3779b97f4a7c15L;
    }

    @Benchmark
    public UpstreamServer smoothWeightedRoundRobinPick() {
        return swrr.pick(servers, everyone, clientHash);
    }

    /** What ProxyHandler does per request: a fresh Attempts, one select on loop 0. */
    @Benchmark
    public UpstreamServer upstreamGroupSelect() {
        return group.select(0, clientHash, new Attempts(), System.nanoTime());
    }
}
