package dev.tandem.conf.internal;

import dev.tandem.conf.Balance;
import dev.tandem.conf.Defaults;
import dev.tandem.conf.HealthConfig;
import dev.tandem.conf.HostPort;
import dev.tandem.conf.PassiveConfig;
import dev.tandem.conf.QueueConfig;
import dev.tandem.conf.ServerConfig;
import dev.tandem.conf.UpstreamConfig;
import dev.tandem.conf.UpstreamTimeouts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** {@code upstreams}: named groups of servers with their pools, timeouts, retries and health checks. */
final class UpstreamBinder {

    private static final Duration POSITIVE = Duration.ofMillis(1);
    private static final String BALANCES =
            Arrays.stream(Balance.values()).map(Balance::keyword).collect(Collectors.joining(", "));

    Map<String, UpstreamConfig> bind(Map<String, YamlValue> entries) {
        Map<String, UpstreamConfig> out = new LinkedHashMap<>();
        entries.forEach((name, value) -> value
                .required("an upstream: a mapping with servers")
                .object("balance", "servers", "keepalive", "idle_timeout", "timeouts", "passive", "retries", "health",
                        "max_connections", "queue")
                .flatMap(o -> upstream(name, o))
                .ifPresent(u -> out.put(name, u)));
        return out;
    }

    private static Optional<UpstreamConfig> upstream(String name, YamlObject o) {
        Balance balance = o.get("balance").as(BALANCES, UpstreamBinder::balance).orElse(Balance.WEIGHTED_ROUND_ROBIN);
        int maxConnections = o.get("max_connections").integer(0, Integer.MAX_VALUE).orElse(Defaults.MAX_CONNECTIONS);
        Optional<List<ServerConfig>> servers = servers(o.get("servers"), maxConnections);
        int keepalive = o.get("keepalive").integer(0, Integer.MAX_VALUE).orElse(Defaults.KEEPALIVE);
        Duration idleTimeout = o.get("idle_timeout").duration(POSITIVE).orElse(Defaults.IDLE_TIMEOUT);
        UpstreamTimeouts timeouts = o.get("timeouts").object("connect", "read", "write")
                .map(UpstreamBinder::timeouts)
                .orElse(new UpstreamTimeouts(Defaults.CONNECT_TIMEOUT, Defaults.READ_TIMEOUT, Defaults.WRITE_TIMEOUT));
        PassiveConfig passive = o.get("passive").object("max_fails", "fail_timeout")
                .map(UpstreamBinder::passive)
                .orElse(new PassiveConfig(Defaults.MAX_FAILS, Defaults.FAIL_TIMEOUT));
        int retries = o.get("retries").integer(0, Integer.MAX_VALUE).orElse(Defaults.RETRIES);
        Optional<HealthConfig> health = HealthBinder.bind(o.get("health"));
        QueueConfig queue = o.get("queue").object("limit", "timeout")
                .map(q -> new QueueConfig(
                        q.get("limit").integer(0, Integer.MAX_VALUE).orElse(Defaults.QUEUE_LIMIT),
                        q.get("timeout").duration(POSITIVE).orElse(Defaults.QUEUE_TIMEOUT)))
                .orElse(new QueueConfig(Defaults.QUEUE_LIMIT, Defaults.QUEUE_TIMEOUT));
        return servers.map(s -> new UpstreamConfig(name, balance, s, keepalive, idleTimeout, timeouts, passive, retries, health,
                maxConnections, queue));
    }

    private static Balance balance(String text) {
        Balance b = Balance.fromKeyword(text.trim().toLowerCase(Locale.ROOT));
        if (b == null) {
            throw new IllegalArgumentException(text + " (expected: one of " + BALANCES + ")");
        }
        return b;
    }

    /** Empty when any server is wrong or the group could never serve (no servers, or backups only). */
    private static Optional<List<ServerConfig>> servers(YamlValue value, int upstreamMaxConnections) {
        List<YamlValue> items = value.required("a list of servers").nonEmptyList("a list of servers", "at least one server");
        List<ServerConfig> servers = new ArrayList<>();
        Map<String, String> seen = new HashMap<>();
        boolean ok = !items.isEmpty();
        boolean anyPrimary = false;
        for (YamlValue item : items) {
            Optional<YamlObject> o = item.object("address", "weight", "backup", "max_connections");
            if (o.isEmpty()) {
                ok = false;
                // Unknown whether it was meant as a primary: do not add "backups only" on top.
                anyPrimary = true;
                continue;
            }
            YamlValue addressValue = o.get().get("address").required("host:port, e.g. 10.0.0.21:8000");
            Optional<HostPort> address = addressValue.as("host:port, e.g. 10.0.0.21:8000", Addresses::server);
            int weight = o.get().get("weight").integer(1, Integer.MAX_VALUE).orElse(Defaults.WEIGHT);
            boolean backup = o.get().get("backup").bool().orElse(false);
            int maxConnections = o.get().get("max_connections").integer(0, Integer.MAX_VALUE).orElse(upstreamMaxConnections);
            anyPrimary |= !backup;
            if (address.isPresent()) {
                String first = seen.putIfAbsent(address.get().toString().toLowerCase(Locale.ROOT), addressValue.path());
                if (first != null) {
                    addressValue.fail("an address not already used by " + first);
                }
                servers.add(new ServerConfig(address.get(), weight, backup, maxConnections));
            } else {
                ok = false;
            }
        }
        if (!items.isEmpty() && !anyPrimary) {
            value.report("only backup servers (expected: at least one server without backup: true)");
            ok = false;
        }
        return ok ? Optional.of(servers) : Optional.empty();
    }

    private static UpstreamTimeouts timeouts(YamlObject o) {
        return new UpstreamTimeouts(
                o.get("connect").duration(POSITIVE).orElse(Defaults.CONNECT_TIMEOUT),
                o.get("read").duration(POSITIVE).orElse(Defaults.READ_TIMEOUT),
                o.get("write").duration(POSITIVE).orElse(Defaults.WRITE_TIMEOUT));
    }

    private static PassiveConfig passive(YamlObject o) {
        return new PassiveConfig(
                o.get("max_fails").integer(0, Integer.MAX_VALUE).orElse(Defaults.MAX_FAILS),
                o.get("fail_timeout").duration(POSITIVE).orElse(Defaults.FAIL_TIMEOUT));
    }
}
