package dev.tandem.proxy.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.Config;
import dev.tandem.conf.ConfigLoader;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A switch at run time over the config, and what a reload does to it. */
class MaintenanceSwitchesTest {

    private static Config config(boolean aEnabled, boolean withB) throws Exception {
        return ConfigLoader.parse("t.yaml", """
                listeners: [{name: http, bind: ":80"}]
                upstreams: {web: {servers: [{address: "b:80"}]}}
                sites:
                  - hosts: [a.test]
                    upstream: web
                    maintenance: { enabled: %s }
                """.formatted(aEnabled) + (withB ? """
                  - hosts: [b.test]
                    upstream: web
                """ : ""), Path.of("/"));
    }

    @Test
    void aSwitchHoldsUntilTheConfigChangesItsSitesEnabled() throws Exception {
        MaintenanceSwitches s = new MaintenanceSwitches();
        assertFalse(s.on("a.test", false));
        s.set("a.test", true);
        s.set("b.test", true);
        assertTrue(s.on("a.test", false));
        assertEquals(Optional.of(true), s.switched("a.test"));

        s.reconcile(config(false, true), config(false, true));
        assertTrue(s.on("a.test", false), "an unrelated reload keeps it");

        s.reconcile(config(false, true), config(false, false));
        assertEquals(Optional.empty(), s.switched("b.test"), "its site is gone");
        assertTrue(s.on("a.test", false));

        s.reconcile(config(false, false), config(true, false));
        assertEquals(Optional.empty(), s.switched("a.test"), "the config's enabled changed: it decides");
        assertTrue(s.on("a.test", true));

        s.set("a.test", false);
        assertFalse(s.on("a.test", true));
        s.clear("a.test");
        assertTrue(s.on("a.test", true));
    }
}
