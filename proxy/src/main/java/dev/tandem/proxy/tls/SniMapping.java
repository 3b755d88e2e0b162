package dev.tandem.proxy.tls;

import io.netty.handler.ssl.SslContext;
import io.netty.util.Mapping;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which certificate a client gets for the name it sent in SNI: an exact name first, then a wildcard whose
 * {@code *} stands for exactly one label ({@code *.example.com} covers {@code a.example.com}, not
 * {@code example.com} nor {@code a.b.example.com}, as browsers match them), else the default (the first
 * certificate of the listener), which also serves clients that send no name. Where two certificates claim
 * the same name, the first in the config wins. Immutable.
 */
public final class SniMapping implements Mapping<String, SslContext> {

    private final Map<String, SslContext> exact;
    /** By the part after {@code *.}. */
    private final Map<String, SslContext> wildcard;
    private final SslContext fallback;

    /** @param contexts one per certificate, in config order, with the names each serves */
    SniMapping(List<Map.Entry<List<String>, SslContext>> contexts) {
        Map<String, SslContext> e = new HashMap<>();
        Map<String, SslContext> w = new HashMap<>();
        for (Map.Entry<List<String>, SslContext> c : contexts) {
            for (String name : c.getKey()) {
                if (name.startsWith("*.")) {
                    w.putIfAbsent(name.substring(2), c.getValue());
                } else {
                    e.putIfAbsent(name, c.getValue());
                }
            }
        }
        this.exact = Map.copyOf(e);
        this.wildcard = Map.copyOf(w);
        this.fallback = contexts.get(0).getValue();
    }

    @Override
    public SslContext map(String hostname) {
        if (hostname == null || hostname.isEmpty()) {
            return fallback;
        }
        String host = hostname.toLowerCase(Locale.ROOT);
        if (host.endsWith(".")) {
            host = host.substring(0, host.length() - 1);
        }
        SslContext c = exact.get(host);
        if (c != null) {
            return c;
        }
        int dot = host.indexOf('.');
        if (dot > 0) {
            c = wildcard.get(host.substring(dot + 1));
            if (c != null) {
                return c;
            }
        }
        return fallback;
    }
}
