package dev.tandem.proxy.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.tandem.conf.HeaderRules;
import dev.tandem.conf.ValueTemplate;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class HeaderRuleSetTest {

    /** The variables of a request whose decoded path holds CR LF. */
    private static final Function<ValueTemplate.Variable, String> VARIABLES = v -> switch (v) {
        case HOST -> "example.com";
        case SCHEME -> "https";
        case REQUEST_URI -> "/a%0d%0aX-Evil:%201?q=1";
        case URI -> "/a\r\nX-Evil: 1";
        case ARGS -> "q=1";
        case REMOTE_ADDR -> "192.0.2.7";
        case NODE -> "lb1";
    };

    private static Map<String, ValueTemplate> values(String... kv) {
        Map<String, ValueTemplate> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], ValueTemplate.parse(kv[i + 1]));
        }
        return m;
    }

    @Test
    void removeThenSetThenAddSiteRulesBeforeRouteRules() {
        HttpHeaders h = new DefaultHttpHeaders().add("x-a", "client").add("x-b", "client").add("server", "x");
        HeaderRules.Ops site = new HeaderRules.Ops(values("x-a", "site"), values("x-c", "$host"), List.of("server", "x-a"));
        HeaderRules.Ops route = new HeaderRules.Ops(values("x-b", "$scheme://$host"), values("x-a", "$node"), List.of());
        assertEquals(0, HeaderRuleSet.of(List.of(site, route)).apply(h, VARIABLES));
        assertEquals(List.of("site", "lb1"), h.getAll("x-a"), "the site's set, then the route's add");
        assertEquals(List.of("https://example.com"), h.getAll("x-b"));
        assertEquals(List.of("example.com"), h.getAll("x-c"));
        assertFalse(h.contains("server"));
    }

    @Test
    void aValueAVariableFillsWithCrLfIsDroppedAndWhatASetWouldReplaceGoesToo() {
        HttpHeaders h = new DefaultHttpHeaders().add("x-path", "forged by the client");
        HeaderRules.Ops ops = new HeaderRules.Ops(values("x-path", "$uri", "x-ok", "$remote_addr"),
                values("x-added", "path=$uri"), List.of());
        assertEquals(2, HeaderRuleSet.of(List.of(ops)).apply(h, VARIABLES));
        assertFalse(h.contains("x-path"));
        assertFalse(h.contains("x-added"));
        assertEquals("192.0.2.7", h.get("x-ok"));
    }
}
