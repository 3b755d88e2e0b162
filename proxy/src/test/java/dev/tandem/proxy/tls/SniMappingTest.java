package dev.tandem.proxy.tls;

import static org.junit.jupiter.api.Assertions.assertSame;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import java.util.AbstractMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SniMappingTest {

    private static SslContext a;
    private static SslContext b;
    private static SslContext w;
    private static SslContext other;

    @BeforeAll
    static void contexts() throws Exception {
        SelfSignedCertificate cert = new SelfSignedCertificate("x.test");
        a = SslContextBuilder.forServer(cert.key(), cert.cert()).build();
        b = SslContextBuilder.forServer(cert.key(), cert.cert()).build();
        w = SslContextBuilder.forServer(cert.key(), cert.cert()).build();
        other = SslContextBuilder.forServer(cert.key(), cert.cert()).build();
    }

    private static Map.Entry<List<String>, SslContext> e(SslContext c, String... names) {
        return new AbstractMap.SimpleImmutableEntry<>(List.of(names), c);
    }

    @Test
    void exactThenOneLabelWildcardThenTheFirst() {
        SniMapping m = new SniMapping(List.of(e(a, "a.test"), e(b, "b.test", "*.a.test"), e(w, "*.w.test"),
                e(other, "a.test", "*.w.test")));
        assertSame(a, m.map("a.test"));
        assertSame(a, m.map("A.TEST."));
        assertSame(b, m.map("b.test"));
        assertSame(b, m.map("www.a.test"));
        assertSame(w, m.map("x.w.test"));
        // A wildcard covers one label, not none and not two.
        assertSame(a, m.map("w.test"));
        assertSame(a, m.map("x.y.w.test"));
        // No SNI, an unknown name: the first certificate.
        assertSame(a, m.map(null));
        assertSame(a, m.map(""));
        assertSame(a, m.map("unknown.test"));
    }
}
