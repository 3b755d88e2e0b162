package dev.tandem.conf.internal;

import dev.tandem.conf.CertificateConfig;
import dev.tandem.conf.HostPort;
import dev.tandem.conf.ListenerConfig;
import dev.tandem.conf.TlsConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@code listeners}: at least one, each with a unique name and bind address. */
final class ListenerBinder {

    private static final String BIND = "host:port, e.g. 0.0.0.0:80, :80 or [::]:443";

    private final Map<String, String> names = new HashMap<>();
    private final Map<HostPort, String> binds = new HashMap<>();

    List<ListenerConfig> bind(YamlValue value) {
        List<ListenerConfig> out = new ArrayList<>();
        List<YamlValue> items = value.required("a list of listeners").nonEmptyList("a list of listeners", "at least one listener");
        for (YamlValue item : items) {
            item.object("name", "bind", "tls").flatMap(this::listener).ifPresent(out::add);
        }
        return out;
    }

    private Optional<ListenerConfig> listener(YamlObject o) {
        YamlValue nameValue = o.get("name").required("a listener name");
        Optional<String> name = nameValue.nonBlank("a listener name");
        name.ifPresent(n -> unique(names, n, nameValue, "a name"));
        YamlValue bindValue = o.get("bind").required(BIND);
        Optional<HostPort> bind = bindValue.as(BIND, Addresses::bind);
        bind.ifPresent(b -> unique(binds, b, bindValue, "an address"));
        Optional<Optional<TlsConfig>> tls = tls(o.get("tls"));
        if (name.isEmpty() || bind.isEmpty() || tls.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new ListenerConfig(name.get(), bind.get(), tls.get()));
    }

    private static <K> void unique(Map<K, String> seen, K key, YamlValue value, String what) {
        String first = seen.putIfAbsent(key, value.path());
        if (first != null) {
            value.fail(what + " not already used by " + first);
        }
    }

    /** Empty when the tls section is broken; holds an empty Optional when there is none. */
    private static Optional<Optional<TlsConfig>> tls(YamlValue value) {
        if (!value.isPresent()) {
            return Optional.of(Optional.empty());
        }
        Optional<YamlObject> o = value.object("certificates");
        if (o.isEmpty()) {
            return Optional.empty();
        }
        YamlValue certsValue = o.get().get("certificates").required("a list of {cert, key}");
        List<YamlValue> items = certsValue.nonEmptyList("a list of {cert, key}", "at least one certificate");
        List<CertificateConfig> certs = new ArrayList<>();
        boolean ok = !items.isEmpty();
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
        return ok ? Optional.of(Optional.of(new TlsConfig(certs))) : Optional.empty();
    }
}
