package dev.tandem.conf.internal;

import dev.tandem.conf.CertificateConfig;
import dev.tandem.conf.Defaults;
import dev.tandem.conf.HostPort;
import dev.tandem.conf.HstsConfig;
import dev.tandem.conf.HttpsRedirect;
import dev.tandem.conf.ListenerConfig;
import dev.tandem.conf.TlsConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/** {@code listeners}: at least one, each with a unique name and bind address. */
final class ListenerBinder {

    private static final String BIND = "host:port, e.g. 0.0.0.0:80, :80 or [::]:443";
    private static final String PAIRS = "a list of {cert, key}";
    private static final String PER_NODE = "a mapping of node name to certificates, e.g. lb2: {cert: eu.pem, key: eu.key}";
    private static final String PER_NODE_PAIRS = "{cert, key} or a list of them";

    private final Map<String, String> names = new HashMap<>();
    private final Map<HostPort, String> binds = new HashMap<>();
    private final List<PerNode> pending = new ArrayList<>();
    private final BindClashes clashes = new BindClashes();

    List<ListenerConfig> bind(YamlValue value) {
        List<ListenerConfig> out = new ArrayList<>();
        List<YamlValue> items = value.required("a list of listeners").nonEmptyList("a list of listeners", "at least one listener");
        for (YamlValue item : items) {
            item.object("name", "bind", "tls", "redirect_https", "hsts", "per_node").flatMap(o -> listener(item, o))
                    .ifPresent(out::add);
        }
        return out;
    }

    /**
     * The admin listener's {@code per_node} (the same shape as a listener's), checked against {@code cluster.nodes}
     * with the listeners'; and its binds, for {@link #checkClashes}. Empty when broken.
     *
     * @param token whether the section has a token: without one, every bind must be a loopback address
     */
    Optional<Map<String, HostPort>> admin(YamlValue admin, HostPort bind, YamlValue bindValue, YamlValue perNodeValue,
                                         boolean token) {
        Map<String, YamlValue> at = new LinkedHashMap<>();
        Optional<Map<String, HostPort>> perNode = perNodeBinds(perNodeValue, at);
        if (!token) {
            // As for the shared bind: an open admin port lets anyone hand VIPs over.
            perNode.ifPresent(p -> p.forEach((node, b) -> {
                if (!Addresses.isLoopback(b)) {
                    at.get(node).fail("a loopback address such as 127.0.0.1:9090, or an admin.token");
                }
            }));
        }
        perNode.ifPresent(p -> clashes.add(admin.path(), bind, bindValue, p, at, false));
        return perNode;
    }

    /**
     * Reports two listeners (the admin listener too) that would bind the same address and port on one node, once
     * the nodes are known (see {@link BindClashes}).
     *
     * @param nodes the nodes; empty without a cluster section
     */
    void checkClashes(Optional<Set<String>> nodes) {
        clashes.check(nodes);
    }

    private Optional<ListenerConfig> listener(YamlValue item, YamlObject o) {
        YamlValue nameValue = o.get("name").required("a listener name");
        Optional<String> name = nameValue.nonBlank("a listener name");
        name.ifPresent(n -> unique(names, n, nameValue, "a name"));
        YamlValue bindValue = o.get("bind").required(BIND);
        Optional<HostPort> bind = bindValue.as(BIND, Addresses::bind);
        // Port 0 asks the system for a free port, so two such listeners never collide (tests run that way).
        bind.filter(b -> b.port() != 0).ifPresent(b -> unique(binds, b, bindValue, "an address"));
        Optional<Optional<TlsConfig>> tls = tls(o.get("tls"));
        boolean secure = o.get("tls").isPresent();
        Optional<Optional<HttpsRedirect>> redirect = redirect(o.get("redirect_https"), secure);
        Optional<Optional<HstsConfig>> hsts = hsts(o.get("hsts"), secure);
        Map<String, YamlValue> perNodeAt = new LinkedHashMap<>();
        Optional<Map<String, HostPort>> perNode = perNodeBinds(o.get("per_node"), perNodeAt);
        if (name.isEmpty() || bind.isEmpty() || tls.isEmpty() || redirect.isEmpty() || hsts.isEmpty() || perNode.isEmpty()) {
            return Optional.empty();
        }
        clashes.add(item.path(), bind.get(), bindValue, perNode.get(), perNodeAt, true);
        return Optional.of(new ListenerConfig(name.get(), bind.get(), tls.get(), redirect.get(), hsts.get(), perNode.get()));
    }

    /**
     * {@code per_node: {lb1: {bind: 10.0.0.11:443}}}: the address a node binds instead of {@code bind}, so that one
     * mirrored file serves nodes whose addresses differ; the names are checked against {@code cluster.nodes}
     * later ({@link #checkNodes}). Empty when broken.
     *
     * @param at filled with each node's {@code bind} value, for messages
     */
    private Optional<Map<String, HostPort>> perNodeBinds(YamlValue value, Map<String, YamlValue> at) {
        if (!value.isPresent()) {
            return Optional.of(Map.of());
        }
        Optional<Map<String, YamlValue>> entries = value.entries("a mapping of node name to {bind}, e.g. lb1: {bind: 10.0.0.11:443}");
        if (entries.isEmpty()) {
            return Optional.empty();
        }
        if (entries.get().isEmpty()) {
            value.fail("at least one node, e.g. lb1: {bind: 10.0.0.11:443}");
            return Optional.empty();
        }
        Map<String, HostPort> out = new LinkedHashMap<>();
        boolean ok = true;
        for (Map.Entry<String, YamlValue> e : entries.get().entrySet()) {
            Optional<HostPort> b = e.getValue().object("bind").flatMap(n -> {
                YamlValue v = n.get("bind");
                at.put(e.getKey(), v);
                return v.required(BIND).as(BIND, Addresses::bind);
            });
            b.ifPresent(h -> out.put(e.getKey(), h));
            ok &= b.isPresent();
        }
        pending.add(new PerNode(value, value, true, entries.get(), "bind addresses"));
        return ok ? Optional.of(out) : Optional.empty();
    }

    /** {@code true}, {@code false} or {@code {port: N}}; empty when broken, holding empty when off. */
    private static Optional<Optional<HttpsRedirect>> redirect(YamlValue value, boolean secure) {
        if (!value.isPresent()) {
            return Optional.of(Optional.empty());
        }
        Optional<HttpsRedirect> redirect;
        if (value.isMapping()) {
            Optional<YamlObject> o = value.object("port");
            if (o.isEmpty()) {
                return Optional.empty();
            }
            YamlValue portValue = o.get().get("port");
            Optional<Integer> port = portValue.integer(1, 65535);
            if (portValue.isPresent() && port.isEmpty()) {
                return Optional.empty();
            }
            redirect = Optional.of(new HttpsRedirect(port.map(OptionalInt::of).orElse(OptionalInt.empty())));
        } else {
            Optional<Boolean> on = value.bool();
            if (on.isEmpty()) {
                return Optional.empty();
            }
            redirect = on.get() ? Optional.of(new HttpsRedirect(OptionalInt.empty())) : Optional.empty();
        }
        if (redirect.isPresent() && secure) {
            value.report("a listener with tls serves https itself (expected: redirect_https on a plaintext listener)");
            return Optional.empty();
        }
        return Optional.of(redirect);
    }

    /** {@code true}, {@code false} or {@code {max_age, include_subdomains, preload}}. */
    private static Optional<Optional<HstsConfig>> hsts(YamlValue value, boolean secure) {
        if (!value.isPresent()) {
            return Optional.of(Optional.empty());
        }
        Optional<HstsConfig> hsts;
        if (value.isMapping()) {
            Optional<YamlObject> o = value.object("max_age", "include_subdomains", "preload");
            if (o.isEmpty()) {
                return Optional.empty();
            }
            YamlValue ageValue = o.get().get("max_age");
            Optional<Duration> age = ageValue.duration(Duration.ZERO);
            YamlValue subValue = o.get().get("include_subdomains");
            Optional<Boolean> sub = subValue.bool();
            YamlValue preloadValue = o.get().get("preload");
            Optional<Boolean> preload = preloadValue.bool();
            if ((ageValue.isPresent() && age.isEmpty()) || (subValue.isPresent() && sub.isEmpty())
                    || (preloadValue.isPresent() && preload.isEmpty())) {
                return Optional.empty();
            }
            HstsConfig c = new HstsConfig(age.orElse(Defaults.HSTS_MAX_AGE), sub.orElse(false), preload.orElse(false));
            if (c.preload() && (!c.includeSubdomains() || c.maxAge().compareTo(Defaults.HSTS_PRELOAD_MIN_AGE) < 0)) {
                preloadValue.report("preload needs include_subdomains: true and a max_age of at least 365d");
                return Optional.empty();
            }
            hsts = Optional.of(c);
        } else {
            Optional<Boolean> on = value.bool();
            if (on.isEmpty()) {
                return Optional.empty();
            }
            hsts = on.get() ? Optional.of(new HstsConfig(Defaults.HSTS_MAX_AGE, false, false)) : Optional.empty();
        }
        if (hsts.isPresent() && !secure) {
            value.report("browsers ignore Strict-Transport-Security over plain http (expected: hsts on a listener with tls)");
            return Optional.empty();
        }
        return Optional.of(hsts);
    }

    private static <K> void unique(Map<K, String> seen, K key, YamlValue value, String what) {
        String first = seen.putIfAbsent(key, value.path());
        if (first != null) {
            value.fail(what + " not already used by " + first);
        }
    }

    /** Empty when the tls section is broken; holds an empty Optional when there is none. */
    private Optional<Optional<TlsConfig>> tls(YamlValue value) {
        if (!value.isPresent()) {
            return Optional.of(Optional.empty());
        }
        Optional<YamlObject> o = value.object("certificates", "per_node");
        if (o.isEmpty()) {
            return Optional.empty();
        }
        YamlValue certsValue = o.get().get("certificates");
        YamlValue perNodeValue = o.get().get("per_node");
        // With per_node, the shared list may go when every node has its own: checked against cluster.nodes later.
        if (!perNodeValue.isPresent()) {
            certsValue.required(PAIRS);
        }
        boolean ok = true;
        List<CertificateConfig> certs = List.of();
        if (certsValue.isPresent()) {
            List<YamlValue> items = certsValue.nonEmptyList(PAIRS, "at least one certificate");
            ok = !items.isEmpty();
            Optional<List<CertificateConfig>> pairs = pairs(items);
            ok &= pairs.isPresent();
            certs = pairs.orElse(List.of());
        }
        Map<String, List<CertificateConfig>> perNode = new LinkedHashMap<>();
        if (perNodeValue.isPresent()) {
            Optional<Map<String, YamlValue>> entries = perNodeValue.entries(PER_NODE);
            if (entries.isEmpty()) {
                return Optional.empty();
            }
            if (entries.get().isEmpty()) {
                perNodeValue.fail("at least one node, e.g. lb2: {cert: eu.pem, key: eu.key}");
                ok = false;
            }
            for (Map.Entry<String, YamlValue> e : entries.get().entrySet()) {
                YamlValue v = e.getValue();
                // One pair may be written bare; it is then placed as the first of a list, as TlsCheck names it.
                List<YamlValue> items = v.isMapping() ? List.of(v.asFirstElement())
                        : v.required(PER_NODE_PAIRS).nonEmptyList(PER_NODE_PAIRS, "at least one certificate");
                Optional<List<CertificateConfig>> pairs = pairs(items);
                ok &= pairs.isPresent() && !items.isEmpty();
                pairs.ifPresent(p -> perNode.put(e.getKey(), p));
            }
            pending.add(new PerNode(value, perNodeValue, certsValue.isPresent(), entries.get(), "certificates"));
        }
        return ok ? Optional.of(Optional.of(new TlsConfig(certs, perNode))) : Optional.empty();
    }

    private static Optional<List<CertificateConfig>> pairs(List<YamlValue> items) {
        List<CertificateConfig> certs = new ArrayList<>();
        boolean ok = true;
        for (YamlValue item : items) {
            Optional<CertificateConfig> cert = item.object("cert", "key").flatMap(c -> {
                Optional<Path> chain = c.get("cert").required("the path of a PEM certificate chain").file();
                Optional<Path> key = c.get("key").required("the path of a PEM private key").file();
                return chain.isPresent() && key.isPresent()
                        ? Optional.of(new CertificateConfig(chain.get(), key.get())) : Optional.empty();
            });
            cert.ifPresent(certs::add);
            ok &= cert.isPresent();
        }
        return ok ? Optional.of(certs) : Optional.empty();
    }

    /**
     * Checks the node names of every {@code tls.per_node} against {@code cluster.nodes}, once that is read:
     * an unknown name is an error (with the nearest node suggested), and so is a node left with no
     * certificate when the shared list is omitted.
     *
     * @param clusterWritten whether the file has a cluster section at all
     * @param nodes          the nodes, when the cluster section was valid (else its errors are reported already)
     */
    void checkNodes(boolean clusterWritten, Optional<Set<String>> nodes) {
        for (PerNode p : pending) {
            if (!clusterWritten) {
                p.perNode().report("per-node " + p.what() + " need the nodes named (expected: a cluster section with nodes)");
                continue;
            }
            if (nodes.isEmpty()) {
                continue;
            }
            for (Map.Entry<String, YamlValue> e : p.entries().entrySet()) {
                if (!nodes.get().contains(e.getKey())) {
                    String hint = Suggestions.nearest(e.getKey(), nodes.get()).map(n -> "did you mean '" + n + "'?")
                            .orElse("expected: one of " + String.join(", ", nodes.get()));
                    e.getValue().report("'" + e.getKey() + "' is not a node of cluster.nodes (" + hint + ")");
                }
            }
            if (!p.shared()) {
                List<String> bare = nodes.get().stream().filter(n -> !p.entries().containsKey(n)).toList();
                if (!bare.isEmpty()) {
                    p.tls().report("no certificates for node " + String.join(", ", bare)
                            + " (expected: certificates, or a per_node entry for every node)");
                }
            }
        }
    }

    /** A listener's (or its {@code tls}'s) {@code per_node} map, waiting for the node names. */
    private record PerNode(YamlValue tls, YamlValue perNode, boolean shared, Map<String, YamlValue> entries, String what) {
    }
}
