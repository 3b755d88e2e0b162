package dev.tandem.proxy.upstream;

import dev.tandem.conf.Balance;
import dev.tandem.conf.HostPort;
import dev.tandem.conf.PassiveConfig;
import dev.tandem.conf.ServerConfig;
import dev.tandem.conf.UpstreamConfig;
import dev.tandem.conf.UpstreamTimeouts;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Upstream servers and groups for balancer tests, without a config file. */
final class TestServers {

    private static final SimpleMeterRegistry METERS = new SimpleMeterRegistry();

    private TestServers() {
    }

    /** A primary server 10.0.0.N:80 with {@code weight}, at {@code index}. */
    static UpstreamServer server(int n, int weight, int index) {
        return server(n, weight, false, index);
    }

    static UpstreamServer server(int n, int weight, boolean backup, int index) {
        return server(n, weight, backup, index, 1024);
    }

    static UpstreamServer server(int n, int weight, boolean backup, int index, int maxConnections) {
        HostPort address = new HostPort("10.0.0." + n, 80);
        ServerConfig config = new ServerConfig(address, weight, backup, maxConnections);
        ServerState state = new ServerState(new ServerKey("web", address),
                new UpstreamServerMetrics(METERS, "web", address.toString()));
        return new UpstreamServer(config, new InetSocketAddress("10.0.0." + n, 80), state, index);
    }

    /** Primaries with the given weights, 10.0.0.1, 10.0.0.2, ... */
    static UpstreamServer[] primaries(int... weights) {
        UpstreamServer[] servers = new UpstreamServer[weights.length];
        for (int i = 0; i < weights.length; i++) {
            servers[i] = server(i + 1, weights[i], i);
        }
        return servers;
    }

    static UpstreamGroup group(Balance balance, List<UpstreamServer> primaries, List<UpstreamServer> backups) {
        List<ServerConfig> configs = new ArrayList<>();
        primaries.forEach(s -> configs.add(s.config()));
        backups.forEach(s -> configs.add(s.config()));
        UpstreamConfig config = new UpstreamConfig("web", balance, configs, 8, Duration.ofSeconds(60),
                new UpstreamTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1)),
                new PassiveConfig(1, Duration.ofSeconds(10)), 2, Optional.empty());
        return new UpstreamGroup(config, primaries, backups, 1);
    }

    /** Every server eligible. */
    static final ServerFilter ALL = s -> true;

    /** The address of {@code s} as a letter: 10.0.0.1 is a, 10.0.0.2 is b, ... */
    static char letter(UpstreamServer s) {
        String host = s.config().address().host();
        return (char) ('a' + Integer.parseInt(host.substring(host.lastIndexOf('.') + 1)) - 1);
    }
}
