package dev.tandem.conf.internal;

import dev.tandem.conf.DnsConfig;
import dev.tandem.conf.HostPort;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code cluster.dns}: the zone, its primary server, the TSIG key and the records the nodes move. The key file
 * is only named here; the cluster module reads and checks it.
 */
final class DnsBinder {

    private static final String ALGORITHMS = "hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha224, hmac-sha1 or hmac-md5";
    private static final List<String> KNOWN_ALGORITHMS = List.of("hmac-sha256", "hmac-sha384", "hmac-sha512",
            "hmac-sha224", "hmac-sha1", "hmac-md5");

    private DnsBinder() {
    }

    static Optional<DnsConfig> bind(YamlValue value, List<String> nodes) {
        return value.object("server", "zone", "tsig", "hold_down", "records").flatMap(o -> dns(o, nodes));
    }

    private static Optional<DnsConfig> dns(YamlObject o, List<String> nodes) {
        Optional<HostPort> server = o.get("server").required("the zone's primary server, e.g. 192.0.2.53:53")
                .as("an IP address with an optional port, e.g. 192.0.2.53:53", DnsBinder::server);
        Optional<String> zone = o.get("zone").required("the zone, e.g. example.com.")
                .as("a domain name such as example.com.", DnsBinder::name);
        Optional<DnsConfig.Tsig> tsig = o.get("tsig").required("{ name, algorithm, secret_file }")
                .object("name", "algorithm", "secret_file").flatMap(DnsBinder::tsig);
        Duration holdDown = o.get("hold_down").duration(Duration.ZERO).orElse(Duration.ofSeconds(30));
        YamlValue recordsValue = o.get("records").required("a list of { name, ttl, mode, prefer }");
        List<DnsConfig.Record> records = new ArrayList<>();
        Map<String, String> seen = new HashMap<>();
        for (YamlValue item : recordsValue.nonEmptyList("a list of { name, ttl, mode, prefer }", "at least one record")) {
            item.object("name", "ttl", "mode", "prefer").ifPresent(r -> record(r, zone, nodes, seen).ifPresent(records::add));
        }
        if (server.isEmpty() || zone.isEmpty() || tsig.isEmpty() || records.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new DnsConfig(server.get(), zone.get(), tsig.get(), holdDown, records));
    }

    private static Optional<DnsConfig.Record> record(YamlObject r, Optional<String> zone, List<String> nodes,
                                                     Map<String, String> seen) {
        YamlValue nameValue = r.get("name").required("an absolute name inside the zone, e.g. www.example.com.");
        Optional<String> name = nameValue.as("a domain name such as www.example.com.", DnsBinder::name);
        name.ifPresent(n -> {
            if (zone.isPresent() && !inside(n, zone.get())) {
                nameValue.fail("a name inside the zone " + zone.get());
            }
            String first = seen.putIfAbsent(n, nameValue.path());
            if (first != null) {
                nameValue.fail("a name not already used by " + first);
            }
        });
        YamlValue ttlValue = r.get("ttl");
        Duration ttl = ttlValue.duration(Duration.ZERO).orElse(Duration.ofSeconds(30));
        if (ttl.compareTo(DnsConfig.MIN_TTL) < 0 || ttl.compareTo(DnsConfig.MAX_TTL) > 0 || ttl.toMillis() % 1000 != 0) {
            ttlValue.fail("whole seconds from 1s to 1d (86400s)");
        }
        YamlValue modeValue = r.get("mode");
        DnsConfig.Mode mode = DnsConfig.Mode.FAILOVER;
        if (modeValue.isPresent()) {
            if (modeValue.is("failover")) {
                mode = DnsConfig.Mode.FAILOVER;
            } else if (modeValue.is("multi")) {
                mode = DnsConfig.Mode.MULTI;
            } else {
                modeValue.fail("failover or multi");
            }
        }
        List<String> prefer = ClusterBinder.prefer(r.get("prefer"), nodes);
        if (name.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new DnsConfig.Record(name.get(), ttl, mode, prefer));
    }

    private static Optional<DnsConfig.Tsig> tsig(YamlObject t) {
        Optional<String> name = t.get("name").required("the key's name, e.g. tandem-key.")
                .as("a key name such as tandem-key.", DnsBinder::name);
        YamlValue algValue = t.get("algorithm");
        String algorithm = "hmac-sha256";
        if (algValue.isPresent()) {
            Optional<String> a = algValue.string(ALGORITHMS).map(s -> s.toLowerCase(Locale.ROOT));
            if (a.isPresent() && KNOWN_ALGORITHMS.contains(a.get())) {
                algorithm = a.get();
            } else if (a.isPresent()) {
                algValue.fail(ALGORITHMS);
            }
        }
        Optional<Path> secret = t.get("secret_file").required("the file holding the base64 secret").file();
        if (name.isEmpty() || secret.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new DnsConfig.Tsig(name.get(), algorithm, secret.get()));
    }

    /** An IP literal and a port (53 when omitted): updates go to one server, never to what a name resolves to. */
    static HostPort server(String text) {
        HostPort hp = HostPort.parse(text, 53);
        if (hp.port() == 0 || Addresses.ipLiteral(hp.host()).isEmpty()) {
            throw new IllegalArgumentException(text + " (expected: an IP address with an optional port, e.g. 192.0.2.53:53)");
        }
        return hp;
    }

    /** A domain name, absolute (a missing final dot is added) and in lower case; RFC 1035 lengths. */
    static String name(String text) {
        String n = text.toLowerCase(Locale.ROOT);
        if (!n.endsWith(".")) {
            n = n + ".";
        }
        String bare = n.substring(0, n.length() - 1);
        if (bare.isEmpty() || n.length() > 254) {
            throw new IllegalArgumentException(text + " (expected: a domain name such as example.com.)");
        }
        for (String label : bare.split("\\.", -1)) {
            boolean ok = !label.isEmpty() && label.length() <= 63 && !label.startsWith("-") && !label.endsWith("-");
            for (int i = 0; ok && i < label.length(); i++) {
                char c = label.charAt(i);
                ok = c < 128 && (Character.isLetterOrDigit(c) || c == '-' || c == '_');
            }
            if (!ok) {
                throw new IllegalArgumentException(text + " (expected: a domain name of labels of letters, digits and"
                        + " hyphens, each 1-63 long, such as example.com.)");
            }
        }
        return n;
    }

    static boolean inside(String name, String zone) {
        return name.equals(zone) || name.endsWith("." + zone);
    }
}
